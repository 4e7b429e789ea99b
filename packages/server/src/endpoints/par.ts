/**
 * Pushed Authorization Requests (RFC 9126). The client authenticates and sends the whole
 * authorization request in a POST body; it is validated by the same pipeline as /authorize, and
 * the client receives a short-lived, single-use request_uri to send the browser with.
 *
 * Differences from /authorize: errors are JSON (RFC 9126 §2.3), including an unregistered
 * redirect URI (invalid_request); `request_uri` may not be pushed (§2.1); and a DPoP proof may
 * accompany the request, binding the code to its key (RFC 9449 §10.1).
 */
import type { Context, Hono } from 'hono';
import { InvalidRequestError, PAR_REQUEST_URI_PREFIX } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { authenticateClient } from '../clients/authenticate.ts';
import { randomToken } from '../crypto/hash.ts';
import { checkDpopJktMatchesProof } from '../dpop/jkt.ts';
import { readDpopHeader } from '../dpop/header.ts';
import { verifyDpopProof } from '../dpop/verify.ts';
import { readForm, type Params } from '../http/params.ts';
import type { ClientRecord } from '../storage/records.ts';
import { Paths, endpointUrl } from './paths.ts';
import { validateAuthorizationRequest } from './authorize/pipeline.ts';
import { resolveRedirectUri } from './authorize/redirect-uri.ts';
import { toStoredRequest, type AuthorizationRequest } from './authorize/request.ts';

export function registerParRoutes(app: Hono, ctx: ServerContext): void {
  app.post(Paths.par, async (c) => {
    const params = await readForm(c);
    const client = await authenticateClient(ctx, c, params, { endpoint: 'par' });
    const request = await validatePushedRequest(c, ctx, client, params);
    const now = ctx.now();
    const id = randomToken();
    await ctx.storage.par.create({
      id,
      clientId: client.clientId,
      params: toStoredRequest(request),
      dpopJkt: request.dpopJkt,
      createdAt: now,
      expiresAt: now + ctx.config.ttl.par,
      consumedAt: null,
    });
    c.header('Cache-Control', 'no-store');
    return c.json({ request_uri: `${PAR_REQUEST_URI_PREFIX}${id}`, expires_in: ctx.config.ttl.par }, 201);
  });
}

async function validatePushedRequest(c: Context, ctx: ServerContext, client: ClientRecord, params: Params): Promise<AuthorizationRequest> {
  // RFC 9126 §2.1: a pushed request cannot itself refer to another one.
  if (params.has('request_uri')) throw new InvalidRequestError('The request_uri parameter cannot be pushed (RFC 9126 §2.1).');
  const clientId = params.get('client_id');
  if (clientId !== undefined && clientId !== client.clientId) {
    throw new InvalidRequestError('The client_id parameter does not match the authenticated client.');
  }
  const redirect = resolveRedirectUri(client, params.get('redirect_uri'));
  const request = await validateAuthorizationRequest({ ctx, client, params }, redirect, { pushed: true });
  const proofJkt = await dpopProofJkt(c, ctx);
  checkDpopJktMatchesProof(request.dpopJkt, proofJkt);
  return { ...request, dpopJkt: request.dpopJkt ?? proofJkt };
}

/** RFC 9449 §10.1: a DPoP proof at the PAR endpoint, when present, names the key the code binds to. */
async function dpopProofJkt(c: Context, ctx: ServerContext): Promise<string | null> {
  const proof = readDpopHeader(c);
  if (proof === undefined) return null;
  const { jkt } = await verifyDpopProof(ctx, { proof, htm: 'POST', htu: endpointUrl(ctx.config.issuer, Paths.par) });
  return jkt;
}
