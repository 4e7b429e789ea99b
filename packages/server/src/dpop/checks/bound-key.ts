/**
 * The key binding a grant or token already carries (RFC 9449 §5: refresh tokens of public
 * clients; §10: codes requested with `dpop_jkt`; §7.1: `cnf.jkt` of an access token) must be the
 * key that signed this proof. At the token endpoint the code or refresh token is what is wrong
 * (invalid_grant, as RFC 6749 §5.2 defines it); with an access token it is the token
 * (invalid_token, RFC 6750 §3.1).
 */
import { InvalidGrantError, InvalidTokenError } from '@mandate/protocol';

export function checkBoundKey(jkt: string, expectedJkt: string | null | undefined, withAccessToken: boolean): void {
  if (expectedJkt === undefined || expectedJkt === null || expectedJkt === jkt) return;
  if (withAccessToken) throw new InvalidTokenError('The access token is bound to a different key than the one that signed the DPoP proof (RFC 9449 §7.1).');
  throw new InvalidGrantError('The grant is bound to a different DPoP key than the one that signed this proof (RFC 9449 §5, §10).');
}
