/**
 * The last liveness check of an issuance, inside its transaction (CO-1; RFC 7009 §2.1: revoking
 * a grant's token must end every token of the grant; RFC 9700 §4.2.4 / RFC 6749 §4.1.2: a replayed
 * code revokes what the first redemption issued). Tokens are signed before the transaction, and
 * a revocation can commit in between: its recursive walk would miss the rows written afterwards.
 * Re-reading the grant and every ancestor here — locked on PostgreSQL until commit
 * (grants.lockAncestry), serialised with the revocation on SQLite — closes that gap: either the
 * revocation committed first and is seen now, or it waits and then revokes what this wrote.
 */
import type { OAuthError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import type { GrantLiveness, Storage } from '../../storage/storage.ts';
import type { SessionRecord } from '../../storage/records.ts';

/** Throws `refuse(detail)` unless the grant exists and neither it nor any ancestor is revoked. */
export async function requireLiveGrantTree(txCtx: ServerContext, grantId: string, refuse: (detail: string) => OAuthError): Promise<GrantLiveness[]> {
  const tree = await txCtx.storage.grants.lockAncestry(grantId);
  if (!tree.some((g) => g.id === grantId)) throw refuse(`grant ${grantId} missing`);
  const revoked = tree.find((g) => g.revokedAt !== null);
  if (revoked) throw refuse(`grant ${revoked.id} revoked: ${revoked.revokedReason ?? ''}`);
  return tree;
}

/**
 * The same re-read for a consent (`consents.getForShare`: locked on PostgreSQL, so a revocation
 * that marks the consent first either committed already or waits for this transaction): true
 * when it exists and is not revoked. Used where a grant is written on a consent (authorize,
 * token exchange of our ID token).
 */
export async function isConsentLive(tx: Pick<Storage, 'consents'>, consentId: string): Promise<boolean> {
  const consent = await tx.consents.getForShare(consentId);
  return consent !== null && consent.revokedAt === null;
}

/** A login session neither revoked nor expired at `now` (the cookie, sign-in rules aside: interaction/session.ts). */
export function isSessionRecordLive(session: SessionRecord | null, now: number): session is SessionRecord {
  return session !== null && session.revokedAt === null && session.expiresAt > now;
}

/** The session re-read in the issuing transaction (`for share` on PostgreSQL), as isConsentLive. */
export async function isSessionLive(tx: Pick<Storage, 'sessions'>, idHash: string, now: number): Promise<boolean> {
  return isSessionRecordLive(await tx.sessions.getForShare(idHash), now);
}
