/**
 * Finding the presented refresh token and spotting reuse (RFC 9700 §4.14.2, CL-2): a token that
 * was already rotated is presented again only if it was stolen (or the client lost a response);
 * the whole grant family is revoked so whoever holds the successor loses it too.
 */
import { InvalidGrantError } from '@mandate/protocol';
import type { RefreshTokenRecord } from '../../storage/records.ts';
import { findRefreshToken } from '../../tokens/refresh-token.ts';
import { auditReplay, TokenAuditEvent } from '../shared/audit.ts';
import { inTransaction } from '../shared/commit.ts';
import type { TokenRequest } from '../types.ts';

export async function loadRefreshToken(req: TokenRequest, presented: string): Promise<RefreshTokenRecord> {
  const record = await findRefreshToken(req.ctx.storage, presented);
  if (!record) throw new InvalidGrantError('The refresh token is invalid, expired or revoked.', { detail: 'unknown refresh token' });
  if (record.rotatedAt !== null) await refuseReuse(req, record);
  return record;
}

/**
 * Revokes the grant family of a reused refresh token, audits it, and refuses the request. The
 * revocation and its audit event commit in one transaction (AU-1); if either fails, neither is
 * kept and the next presentation of the rotated token tries again.
 */
export async function refuseReuse(req: TokenRequest, record: RefreshTokenRecord): Promise<never> {
  await inTransaction(
    req.ctx,
    async (tx) => {
      const revokedGrants = await tx.storage.grants.revokeTree(record.grantId, tx.now(), TokenAuditEvent.RefreshTokenReuse);
      await auditReplay(tx, req, {
        event: TokenAuditEvent.RefreshTokenReuse,
        userId: record.userId,
        grantId: record.grantId,
        revokedGrants,
        data: { refresh_token_id: record.id },
      });
    },
    { retryOnDeadlock: true }, // writes through tx only
  );
  // Thrown after the commit: inside the transaction it would roll the revocation back.
  throw new InvalidGrantError('The refresh token was already used; every token of this grant is now revoked.');
}
