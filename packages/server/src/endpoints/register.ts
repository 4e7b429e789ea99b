/**
 * Dynamic Client Registration (RFC 7591) and its management protocol (RFC 7592).
 *
 *   POST   /register            policy → rate → software → metadata → create → 201   (RFC 7591 §3)
 *                               open: rate per address before the body is read; allowlist: the
 *                               software_id first, then rate per address and per software_id and
 *                               address, so only approved attempts count (register/policy.ts). Behind a proxy
 *                               (clientIp trusts no forwarded headers) the address is the proxy's,
 *                               and the limit is effectively global.
 *   GET    /register/:clientId  registration access token → 200, without the token  (RFC 7592 §2.1)
 *   PUT    /register/:clientId  registration access token → metadata → in one transaction: the
 *                               token again, against the row locked for update → replace → 200
 *                               with a new registration access token; the old one gets 401, also
 *                               when two PUTs race with it (compare-and-set)        (RFC 7592 §2.2)
 *   DELETE /register/:clientId  registration access token → in one transaction: the token again,
 *                               against the row locked for update → revoke + delete → 204; a
 *                               token a racing PUT rotated away gets 401        (RFC 7592 §2.3)
 *
 * With `dcr.policy: off` the POST answers 404 and creates nothing; the management routes stay,
 * so clients registered while registration was open can still read or delete themselves.
 *
 * Deviation from RFC 7592 §3, which makes registration_access_token REQUIRED in every client
 * information response: the GET response omits it. Only the token's SHA-256 is stored, so it
 * cannot be shown again, and rotating it on each read (allowed by §2.1) would let a read revoke
 * the token the client holds. The token is rotated on each PUT instead (register/operations.ts).
 */
import type { Context, Hono } from 'hono';
import { NotFoundError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { inTransaction } from '../clients/lifecycle.ts';
import { clientIp } from '../http/client-ip.ts';
import { readJsonObject } from '../http/params.ts';
import { Paths } from './paths.ts';
import { createRegistrationPolicy } from './register/policy.ts';
import { authenticateRegistrationAccess } from './register/registration-access-token.ts';
import { registerClient, registrationResponse, unregisterClient, updateClient } from './register/operations.ts';

/** RFC 7591 §3.2.1: responses carrying credentials must not be cached. */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

export function registerRegistrationRoutes(app: Hono, ctx: ServerContext): void {
  const policy = createRegistrationPolicy(ctx.config);
  const audit = (tx: ServerContext, c: Context, event: string, clientId: string, data: Record<string, unknown> = {}) =>
    tx.audit.record({ event, clientId, ip: clientIp(c), result: 'success', data: { via: 'rfc7591', ...data } });

  app.post(Paths.registration, async (c) => {
    if (ctx.config.dcr.policy === 'off') {
      throw new NotFoundError('Dynamic client registration is disabled on this server (dcr.policy is off); ask an administrator to register the client.');
    }
    policy.checkAddressRate(c, ctx.now());
    const body = await readJsonObject(c);
    policy.checkSoftware(body);
    policy.checkSoftwareRate(c, body, ctx.now());
    const result = await inTransaction(ctx, async (tx) => {
      const r = await registerClient(tx, body);
      await audit(tx, c, 'client.registered', r.client.clientId, {
        token_endpoint_auth_method: r.client.tokenEndpointAuthMethod,
        application_type: r.client.applicationType,
        software_id: r.client.softwareId,
      });
      return r;
    });
    return c.json(registrationResponse(ctx, result), 201, NO_STORE);
  });

  const configurationPath = `${Paths.registration}/:clientId`;

  app.get(configurationPath, async (c) => {
    const client = await authenticateRegistrationAccess(c, ctx, c.req.param('clientId') ?? '');
    return c.json(registrationResponse(ctx, { client, clientSecret: null, registrationAccessToken: null }), 200, NO_STORE);
  });

  app.put(configurationPath, async (c) => {
    const clientId = c.req.param('clientId') ?? '';
    await authenticateRegistrationAccess(c, ctx, clientId);
    const body = await readJsonObject(c);
    policy.checkSoftware(body);
    const result = await inTransaction(ctx, async (tx) => {
      // Compare-and-set: the token may have been rotated (a racing PUT) or the client deleted
      // since the check above; the locked row is also the one the update replaces.
      const current = await authenticateRegistrationAccess(c, tx, clientId, true);
      const r = await updateClient(tx, current, body);
      await audit(tx, c, 'client.updated', current.clientId, { secret_issued: r.clientSecret !== null });
      return r;
    });
    return c.json(registrationResponse(ctx, result), 200, NO_STORE);
  });

  app.delete(configurationPath, async (c) => {
    const clientId = c.req.param('clientId') ?? '';
    // Checked first outside the transaction too, so a caller without the token takes no row lock.
    await authenticateRegistrationAccess(c, ctx, clientId);
    // Retried on a PostgreSQL deadlock (with a deprovisioning: clients/lifecycle.ts): every write goes through tx.
    await inTransaction(
      ctx,
      async (tx) => {
        // Compare-and-set, as PUT: a racing PUT may have rotated the token away since the check
        // above; the row stays locked until the delete commits. Re-checked on every retry.
        const client = await authenticateRegistrationAccess(c, tx, clientId, true);
        await unregisterClient(tx, client);
        await audit(tx, c, 'client.deleted', client.clientId);
      },
      { retryOnDeadlock: true },
    );
    return c.body(null, 204);
  });
}
