/**
 * RFC 7592 §3: the client configuration endpoint is protected by the registration access token,
 * presented as an RFC 6750 Bearer token. Only its SHA-256 is stored; comparison is constant-time.
 * RFC 7592 §2.1: an unknown client gets the same 401 as a wrong token, so client ids cannot be
 * probed.
 * A write (RFC 7592 §2.2 PUT, §2.3 DELETE) checks the token twice: before its transaction, and
 * again inside it against the row read `for update` (compare-and-set), so of two requests
 * presenting the same token only the first to commit succeeds; the other gets 401.
 */
import type { Context } from 'hono';
import { InvalidTokenError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import { constantTimeEqual, sha256 } from '../../crypto/hash.ts';
import type { ClientRecord } from '../../storage/records.ts';

/** RFC 6750 §2.1 b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const REALM = 'realm="client-registration"';

function challenge(description: string, withError: boolean): InvalidTokenError {
  const header = withError ? `Bearer ${REALM}, error="invalid_token", error_description="${description}"` : `Bearer ${REALM}`;
  return new InvalidTokenError(description, { headers: { 'www-authenticate': header } });
}

/** `lock`: read the client row locked until the caller's transaction commits (clients.getForUpdate). */
export async function authenticateRegistrationAccess(c: Context, ctx: ServerContext, clientId: string, lock = false): Promise<ClientRecord> {
  const authorization = c.req.header('authorization');
  if (!authorization) throw challenge('The registration access token is required (RFC 7592 §3).', false);
  const match = BEARER.exec(authorization);
  if (!match) throw challenge('The Authorization header must carry a Bearer registration access token.', true);
  const presented = sha256(match[1]!);
  const client = lock ? await ctx.storage.clients.getForUpdate(clientId) : await ctx.storage.clients.get(clientId);
  const stored = client?.registrationAccessTokenHash ?? null;
  // Compare even when there is nothing to compare against, so timing does not reveal which ids exist.
  const ok = constantTimeEqual(presented, stored ?? sha256('no-registration-access-token'));
  if (!client || stored === null || !ok) throw challenge('The registration access token is invalid for this client.', true);
  return client;
}
