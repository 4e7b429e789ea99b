/**
 * RFC 6749 §4.1.2 / OAuth 2.1 §4.1.3: a code is used once. Consumption is an atomic
 * compare-and-set in storage, done before the remaining checks so that any attempt, even a failed
 * one, burns the code. A second presentation means the code leaked: the grant and everything
 * issued from it (the first exchange's access and refresh tokens) are revoked (RFC 9700 §4.5).
 */
import { InvalidGrantError } from '@mandate/protocol';
import type { AuthorizationCodeRecord } from '../../storage/records.ts';
import { sha256 } from '../../crypto/hash.ts';
import { auditReplay, TokenAuditEvent } from '../shared/audit.ts';
import { inTransaction } from '../shared/commit.ts';
import type { TokenRequest } from '../types.ts';

export async function consumeCode(req: TokenRequest, code: string): Promise<AuthorizationCodeRecord> {
  const { ctx } = req;
  const now = ctx.now();
  const consumed = await ctx.storage.codes.consume(sha256(code), now);
  if (!consumed) throw new InvalidGrantError('The authorization code is invalid, expired or was issued to another client.');
  if (!consumed.first) {
    const { record } = consumed;
    // AU-1: the revocation and its audit event commit together; if either fails, neither is kept
    // and the next presentation of the code tries again.
    await inTransaction(
      ctx,
      async (tx) => {
        const revokedGrants = await tx.storage.grants.revokeTree(record.grantId, now, TokenAuditEvent.CodeReuse);
        await auditReplay(tx, req, { event: TokenAuditEvent.CodeReuse, userId: record.userId, grantId: record.grantId, revokedGrants });
      },
      { retryOnDeadlock: true }, // writes through tx only
    );
    // Thrown after the commit: inside the transaction it would roll the revocation back.
    throw new InvalidGrantError('The authorization code has already been used; the tokens issued with it are revoked.');
  }
  return consumed.record;
}
