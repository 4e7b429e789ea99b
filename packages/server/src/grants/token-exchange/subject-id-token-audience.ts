/**
 * Whom an external ID token was issued to (OIDC Core §3.1.3.7 (3)–(5)). jose has already checked
 * that `aud` contains one of our client ids at the issuer (`issuer.audiences`); this adds what the
 * spec asks beyond "contains":
 *
 * - (3) "The ID Token MUST be rejected if ... it contains additional audiences not trusted by the
 *   Client": every audience must be one of ours — another relying party named in `aud` could
 *   receive and replay the same token;
 * - (4), (5): with several audiences, `azp` must be present; when present, it is one of ours —
 *   the token was delivered to us, not to a co-audience;
 * - RFC 8725 §2.8 / RFC 7523 §3 (3): a JWT addressed to this authorization server (our issuer or
 *   token endpoint) is an assertion to us — a workload JWT, an ID-JAG, a client assertion — never
 *   an ID token of a relying party, whatever a trust-list entry's `audiences` says;
 * - the party it was issued to (`azp`, else its one audience) is one the requesting client stands
 *   for (the client policy's `audiences`), which a public client must list.
 */
import type { JWTPayload } from 'jose';
import { InvalidRequestError } from '@mandate/protocol';
import type { ClientRecord } from '../../storage/records.ts';
import type { IdTokenClientPolicy, IdTokenIssuer } from '../../federation/schema.ts';

/** `ownAudiences`: our issuer identifier and token endpoint URL. */
export function checkIdTokenAudience(issuer: IdTokenIssuer, claims: JWTPayload, ownAudiences: readonly string[]): void {
  const audiences = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
  if (audiences.some((aud) => ownAudiences.includes(aud))) {
    throw new InvalidRequestError('The subject_token is addressed to this authorization server: it is an assertion (jwt-bearer grant), not an ID token of a relying party.');
  }
  if (audiences.some((aud) => !issuer.audiences.includes(aud))) {
    throw new InvalidRequestError('The subject_token names an audience that is not one of the accepted client ids at its issuer (OIDC Core §3.1.3.7 (3)).');
  }
  const azp = claims.azp;
  if (azp === undefined) {
    if (new Set(audiences).size > 1) throw new InvalidRequestError('The subject_token has several audiences and no "azp" (OIDC Core §3.1.3.7 (4)).');
    return;
  }
  if (typeof azp !== 'string' || !issuer.audiences.includes(azp)) {
    throw new InvalidRequestError('The subject_token was issued to another party ("azp" is not one of the accepted client ids at its issuer).');
  }
}

/** After checkIdTokenAudience: `azp` (one of ours) or else the one audience is whom it was issued to. */
export function checkIssuedToClient(policy: IdTokenClientPolicy, client: ClientRecord, claims: JWTPayload): void {
  if (policy.audiences.length === 0) {
    if (client.tokenEndpointAuthMethod !== 'none') return;
    throw new InvalidRequestError(`The public client '${client.clientId}' may exchange only ID tokens issued to client ids it stands for, and its issuer policy names none (audiences).`);
  }
  const party = typeof claims.azp === 'string' ? claims.azp : typeof claims.aud === 'string' ? claims.aud : Array.isArray(claims.aud) ? claims.aud[0] : undefined;
  if (typeof party !== 'string' || !policy.audiences.includes(party)) {
    throw new InvalidRequestError(`The subject_token was issued to another of our client ids at its issuer, not to one '${client.clientId}' may exchange tokens of.`);
  }
}
