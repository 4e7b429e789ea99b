/**
 * Token revocation (RFC 7009). The client authenticates (§2.1; public clients with their
 * client_id) and may revoke only tokens issued to it. Revoking a refresh token revokes its whole
 * grant and so every access token of the grant (§2.1: "SHOULD also invalidate all access tokens
 * based on the same authorization grant"); revoking an access token revokes that token and the
 * grants exchanged from it (RFC 8693) with their trees (CO-1: everything derived from it).
 * An unknown, invalid, expired or already revoked token is answered 200 like a success (§2.2).
 */
import type { Context, Hono } from 'hono';
import { UnauthorizedClientError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import type { ClientRecord } from '../storage/records.ts';
import { readForm } from '../http/params.ts';
import { clientIp } from '../http/client-ip.ts';
import { authenticateClient } from '../clients/authenticate.ts';
import { findRefreshToken } from '../tokens/refresh-token.ts';
import { TokenAuditEvent } from '../grants/shared/audit.ts';
import { inTransaction } from '../grants/shared/commit.ts';
import { presentedKind, verifiedAccessToken } from './token-state.ts';
import { Paths } from './paths.ts';

export function registerRevocationRoutes(app: Hono, ctx: ServerContext): void {
  app.post(Paths.revocation, async (c) => {
    const params = await readForm(c);
    const client = await authenticateClient(ctx, c, params, { endpoint: 'revocation' }); // RFC 7009 §2.1
    const token = params.require('token');
    // token_type_hint is optional and needs no reading: the token's shape tells its kind (token-state.ts).
    if (presentedKind(token) === 'access_token') await revokeAccessToken(ctx, c, client, token);
    else await revokeRefreshToken(ctx, c, client, token);
    c.header('Cache-Control', 'no-store');
    return c.body(null, 200);
  });
}

async function revokeRefreshToken(ctx: ServerContext, c: Context, client: ClientRecord, token: string): Promise<void> {
  const record = await findRefreshToken(ctx.storage, token);
  if (!record) return;
  checkOwnToken(client, record.clientId);
  // AU-1: the revocation and its audit event commit together or not at all.
  await inTransaction(
    ctx,
    async (tx) => {
      const revokedGrants = await tx.storage.grants.revokeTree(record.grantId, tx.now(), 'revoked_by_client');
      await auditRevoked(tx, c, client, record.userId, 'refresh token revoked by the client', { token_type: 'refresh_token', refresh_token_id: record.id, grant_id: record.grantId, revoked_grants: revokedGrants });
    },
    { retryOnDeadlock: true }, // writes through tx only
  );
}

async function revokeAccessToken(ctx: ServerContext, c: Context, client: ClientRecord, token: string): Promise<void> {
  const verified = await verifiedAccessToken(ctx, token);
  if (!verified) return;
  checkOwnToken(client, verified.record.clientId);
  const { record } = verified;
  // AU-1: the revocation and its audit event commit together or not at all.
  await inTransaction(
    ctx,
    async (tx) => {
      // CO-1: with the token, the grants exchanged from it (RFC 8693) and everything under them.
      const { revoked, revokedGrants } = await tx.storage.accessTokens.revokeWithDerived(record.jti, tx.now());
      if (!revoked && revokedGrants.length === 0) return; // already revoked, and nothing derived left
      await auditRevoked(tx, c, client, record.userId, 'access token revoked by the client', { token_type: 'access_token', jti: record.jti, grant_id: record.grantId, revoked_grants: revokedGrants });
    },
    { retryOnDeadlock: true }, // writes through tx only
  );
}

/** RFC 7009 §2.1: "verifies whether the token was issued to the client making the revocation request". */
function checkOwnToken(client: ClientRecord, tokenClientId: string): void {
  if (tokenClientId !== client.clientId) throw new UnauthorizedClientError('The token was not issued to this client, so it cannot revoke it (RFC 7009 §2.1).');
}

/** AU-1: in the revoking transaction (`tx`), so a revocation is never committed unrecorded. */
function auditRevoked(tx: ServerContext, c: Context, client: ClientRecord, userId: string | null, reason: string, data: Record<string, unknown>): Promise<void> {
  return tx.audit.record({ event: TokenAuditEvent.Revoked, userId, clientId: client.clientId, ip: clientIp(c), result: 'success', reason, data });
}
