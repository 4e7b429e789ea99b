/**
 * Self-service for users (issue 2: consents "listable and revocable through the API"; brief:
 * "consent that users can see and revoke"; CO-1: revoking a session revokes everything derived
 * from it), JSON under Paths.accountApi:
 *
 *   GET    /account/v1/sessions               my live login sessions (?include_ended=true: all)
 *   DELETE /account/v1/sessions/:sessionId    end one; its grants' trees and tokens are revoked
 *   GET    /account/v1/consents               my live consents (?include_revoked=true: all)
 *   DELETE /account/v1/consents/:consentId    revoke one and every grant resting on it
 *
 * Authenticated like the owner agent API (agents/owner-auth.ts: a Bearer access token issued to
 * the user, audience the issuer or this API's base URL, not DPoP-bound), with its own scope,
 * mandate:account: managing one's agents does not imply ending one's sessions, nor the reverse
 * (RFC 6749 §3.3). A user sees only their own: another user's
 * session or consent answers 404 exactly like one that does not exist. Revocations run in one
 * transaction with their audit event (AU-1).
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { InvalidRequestError, NotFoundError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { Paths } from '../endpoints/paths.ts';
import { clientIp } from '../http/client-ip.ts';
import { inTransaction } from '../clients/lifecycle.ts';
import { authenticateAccountUser, type AgentOwner } from '../agents/owner-auth.ts';
import { consentView } from '../admin/schemas.ts';
import { revokeUserSession, sessionView } from '../sessions/session-view.ts';

const NO_STORE = { 'cache-control': 'no-store' };
const MAX_ID = 200;

/** Exactly `true` / `false` (absent: false); anything else is a bad request, not a silent default. */
const Flag = z.stringbool({ truthy: ['true'], falsy: ['false'], case: 'sensitive' }).default(false);

function flag(c: Context, name: string): boolean {
  const parsed = Flag.safeParse(c.req.query(name));
  if (!parsed.success) throw new InvalidRequestError(`Invalid query.${name}: expected "true" or "false".`);
  return parsed.data;
}

async function audited<T>(c: Context, ctx: ServerContext, owner: AgentOwner, event: string, fn: (tx: ServerContext) => Promise<{ result: T; data: Record<string, unknown> }>): Promise<T> {
  return inTransaction(ctx, async (tx) => {
    const { result, data } = await fn(tx);
    await tx.audit.record({ event, userId: owner.user.id, clientId: owner.clientId, ip: clientIp(c), result: 'success', data: { jti: owner.jti, ...data } });
    return result;
  });
}

export function registerSelfServiceRoutes(app: Hono, ctx: ServerContext): void {
  const base = Paths.accountApi;

  app.get(`${base}/sessions`, async (c) => {
    const owner = await authenticateAccountUser(c, ctx);
    const now = ctx.now();
    const sessions = await ctx.storage.sessions.listForUser(owner.user.id, { now, includeEnded: flag(c, 'include_ended') });
    return c.json({ items: sessions.map((s) => sessionView(s, now)) }, 200, NO_STORE);
  });

  app.delete(`${base}/sessions/:sessionId`, async (c) => {
    const owner = await authenticateAccountUser(c, ctx);
    const handle = c.req.param('sessionId');
    if (handle.length > MAX_ID) throw new NotFoundError(`No session ${handle.slice(0, MAX_ID)}.`);
    const result = await audited(c, ctx, owner, 'account.session_revoked', async (tx) => {
      const result = await revokeUserSession(tx, owner.user.id, handle, 'session revoked by its user');
      return { result, data: { session_id: handle, revoked_grants: result.revoked_grants } };
    });
    return c.json(result, 200, NO_STORE);
  });

  app.get(`${base}/consents`, async (c) => {
    const owner = await authenticateAccountUser(c, ctx);
    const consents = await ctx.storage.consents.listForUser(owner.user.id, { includeRevoked: flag(c, 'include_revoked') });
    return c.json({ items: consents.map(consentView) }, 200, NO_STORE);
  });

  app.delete(`${base}/consents/:consentId`, async (c) => {
    const owner = await authenticateAccountUser(c, ctx);
    const consentId = c.req.param('consentId');
    const result = await audited(c, ctx, owner, 'account.consent_revoked', async (tx) => {
      const consent = consentId.length <= MAX_ID ? await tx.storage.consents.get(consentId) : null;
      if (!consent || consent.userId !== owner.user.id) throw new NotFoundError(`No consent ${consentId.slice(0, MAX_ID)}.`);
      // The consent first, then the grants resting on it (CO-1: storage consents.revokeWithGrants, as the admin API).
      const { revokedGrants: revoked } = await tx.storage.consents.revokeWithGrants(consent.id, tx.now(), 'consent revoked by its user');
      return { result: { revoked_grants: revoked }, data: { consent_id: consent.id, consent_client_id: consent.clientId, revoked_grants: revoked } };
    });
    return c.json(result, 200, NO_STORE);
  });
}
