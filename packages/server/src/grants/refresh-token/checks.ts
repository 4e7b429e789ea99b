/** The checks of a presented refresh token (RFC 6749 §6). */
import { InvalidGrantError } from '@mandate/protocol';
import type { ClientRecord, RefreshTokenRecord } from '../../storage/records.ts';

/** "validate the refresh token ... and ensure that the refresh token was issued to the authenticated client". */
export function checkRefreshTokenClient(client: ClientRecord, record: RefreshTokenRecord): void {
  if (record.clientId !== client.clientId) {
    throw new InvalidGrantError('The refresh token is invalid, expired or revoked.', { detail: 'refresh token client mismatch' });
  }
}

export function checkRefreshTokenUsable(record: RefreshTokenRecord, now: number): void {
  if (record.revokedAt !== null) throw new InvalidGrantError('The refresh token has been revoked.');
  if (record.expiresAt <= now) throw new InvalidGrantError('The refresh token has expired.');
}

/** Refresh tokens carry a user (their grant came from /authorize); the user's authentication is carried over. */
export function refreshTokenUser(record: RefreshTokenRecord): { userId: string; authTime: number | null; acr: string | null; amr: string[] } {
  if (record.userId === null) throw new InvalidGrantError('The refresh token is not usable with this grant type.', { detail: 'refresh token without user' });
  return { userId: record.userId, authTime: record.authTime, acr: record.acr, amr: record.amr };
}
