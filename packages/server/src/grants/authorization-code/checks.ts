/** The checks of a consumed code against the request (RFC 6749 §4.1.3). */
import { InvalidGrantError } from '@mandate/protocol';
import type { AuthorizationCodeRecord, ClientRecord } from '../../storage/records.ts';

/** "ensure that the authorization code was issued to the authenticated confidential client, or ... public client". */
export function checkCodeClient(client: ClientRecord, code: AuthorizationCodeRecord): void {
  if (code.clientId !== client.clientId) throw new InvalidGrantError('The authorization code is invalid, expired or was issued to another client.', { detail: 'code client mismatch' });
}

/** RFC 6749 §4.1.2: codes are short-lived (ctx.config.ttl.authorizationCode). */
export function checkCodeExpiry(code: AuthorizationCodeRecord, now: number): void {
  if (code.expiresAt <= now) throw new InvalidGrantError('The authorization code has expired.');
}

/** "ensure that the redirect_uri parameter is present ... and that their values are identical." */
export function checkRedirectUri(code: AuthorizationCodeRecord, redirectUri: string): void {
  if (code.redirectUri !== redirectUri) throw new InvalidGrantError('redirect_uri does not match the one of the authorization request.');
}

/**
 * RFC 6749 §4.1.3 / OAuth 2.1 §4.1.3: redirect_uri is REQUIRED "if the redirect_uri parameter was
 * included in the authorization request"; the code records whether it was. Omitted: invalid_grant
 * (§5.2, the redirection URI does not match the one of the authorization request).
 */
export function checkRedirectUriRepeated(code: AuthorizationCodeRecord, redirectUriSent: boolean): void {
  if (code.redirectUriSent && !redirectUriSent) {
    throw new InvalidGrantError('redirect_uri is required: the authorization request included it (RFC 6749 §4.1.3).');
  }
}
