/**
 * Rotation (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2, CL-2 / AS-3: every client): the presented token
 * is marked rotated (atomic compare-and-set) and its successor stored in the same transaction as
 * the new access token and the audit event. Losing the compare-and-set to a concurrent request
 * is reuse as well.
 */
import type { ServerContext } from '../../context.ts';
import type { GrantRecord, RefreshTokenRecord } from '../../storage/records.ts';
import { successorOf } from '../../tokens/refresh-token.ts';
import { InvalidGrantError } from '@mandate/protocol';
import { inTransaction } from '../shared/commit.ts';
import { requireLiveGrantTree } from '../shared/live-tree.ts';
import { auditIssuance, narrowedIssuance, TokenAuditEvent } from '../shared/audit.ts';
import { refreshTokenJkt } from '../shared/dpop.ts';
import { issueUserTokens, signUserTokens } from '../shared/issue.ts';
import type { Narrowed } from '../shared/narrow.ts';
import type { TokenRequest, TokenResponseBody } from '../types.ts';
import { refreshTokenUser } from './checks.ts';
import { refuseReuse } from './load.ts';

/** Thrown inside the transaction when the compare-and-set is lost, so the transaction rolls back. */
class RotationLost extends Error {}

/**
 * Runs `issue` in one transaction with the rotation of the presented token; if another request
 * rotated it first, everything rolls back and the grant family is revoked as for any reuse.
 */
export async function withRotation<T>(
  req: TokenRequest,
  record: RefreshTokenRecord,
  issue: (txCtx: ServerContext) => Promise<T>,
  /** Runs first in the transaction: the agent re-check (agents/identity.ts), so its lock precedes the grants'. */
  before?: (txCtx: ServerContext) => Promise<void>,
): Promise<T> {
  try {
    return await inTransaction(
      req.ctx,
      async (txCtx) => {
        // PostgreSQL lock order, the same on every issuance (token-exchange/issue.ts) and revocation
        // (agent suspension, deprovisioning): agent row, then grants, then token rows. Crossing it —
        // e.g. the agent after the grants — deadlocks with a suspension that updates the agent and
        // then locks its grants.
        if (before) await before(txCtx);
        // CO-1 (live-tree.ts): a revocation may have committed since the grant was checked and the
        // tokens signed. Taken before the compare-and-set: on PostgreSQL the revocation locks the
        // grants first and the token rows after, so the same order here cannot deadlock with it.
        await requireLiveGrantTree(txCtx, record.grantId, (detail) => new InvalidGrantError('The grant of this refresh token has been revoked.', { detail }));
        const rotated = await txCtx.storage.refreshTokens.rotate(record.tokenHash, txCtx.now());
        if (!rotated?.first) throw new RotationLost();
        return issue(txCtx);
      },
      // Tokens are signed before; everything here writes through txCtx only, so a deadlock victim re-runs.
      { retryOnDeadlock: true },
    );
  } catch (err) {
    if (err instanceof RotationLost) return refuseReuse(req, record);
    throw err;
  }
}

export async function rotateAndIssue(req: TokenRequest, record: RefreshTokenRecord, grant: GrantRecord, narrowed: Narrowed): Promise<TokenResponseBody> {
  const user = refreshTokenUser(record);
  const signed = await signUserTokens(req.ctx, req, { grantId: record.grantId, user, narrowed, idTokenNonce: null });
  return withRotation(req, record, async (txCtx) => {
    const issued = await issueUserTokens(txCtx, req, {
      grantId: record.grantId,
      user,
      narrowed,
      // OIDC Core §12.2: a refreshed ID token carries no nonce (there is no new authorization request).
      idTokenNonce: null,
      // RFC 9700 §4.14.2: the family started with the grant; the successor never outlives its absolute end.
      refreshToken: successorOf(record, refreshTokenJkt(req.client, req.dpop, record.dpopJkt), grant.createdAt),
    }, signed);
    await auditRefreshed(txCtx, req, record, narrowed, {
      grant_id: record.grantId,
      jti: issued.jti,
      ...(issued.idTokenJti !== null ? { id_token_jti: issued.idTokenJti } : {}), // AU-2 custody, as the code grant records it
      previous_refresh_token_id: record.id,
      ...(issued.refreshToken ? { refresh_token_id: issued.refreshToken.record.id } : {}),
    });
    return issued.body;
  });
}

/** The `token_refreshed` event (AU-1) of any refresh, plain or delegated: scope as narrowed from the presented token's. */
export function auditRefreshed(txCtx: ServerContext, req: TokenRequest, record: RefreshTokenRecord, narrowed: Narrowed, data: Record<string, unknown>): Promise<void> {
  return auditIssuance(txCtx.audit, req, { event: TokenAuditEvent.Refreshed, userId: record.userId, ...narrowedIssuance(narrowed, record.scope), data });
}
