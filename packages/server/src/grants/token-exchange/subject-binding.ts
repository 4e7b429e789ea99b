/**
 * A DPoP-bound subject token (RFC 9449 §6.1 `cnf.jkt`) exchanged by the client it was issued to
 * needs a proof of that same key: otherwise whoever stole the token could launder it into a new
 * token bound to another key, or to none. A resource server exchanging a token addressed to it
 * (on-behalf-of) never held the caller's key; it authenticates as itself instead.
 *
 * A public client (`token_endpoint_auth_method: none`) authenticates with nothing but its
 * client_id, which anyone can send. RFC 8693 §5: "Omitting client authentication allows for a
 * compromised token to be leveraged via an STS into other tokens by anyone possessing the
 * compromised token". So a public client exchanges a token of this server only when that token is
 * sender-constrained (`cnf.jkt`) and the request carries a DPoP proof of its key — possession of
 * the key, not of the token, stands in for the missing authentication. A bearer access token (one a
 * resource server received, say) or our ID token (never bound) is refused, whoever it was issued to.
 * Another issuer's ID token stays exchangeable by a public client its issuer policy names (README
 * "Federated subject tokens": the policy's `audiences` bind the token to that native app's client
 * id at the issuer); ID-JAGs are refused to public clients where they are verified.
 *
 * Refusal code: `invalid_request` — RFC 8693 §2.2.2, a subject token "unacceptable based on
 * policy". Not `unauthorized_client` (RFC 6749 §5.2: the client may not use this grant type): the
 * same public client may use the grant, with a bound token and its key.
 */
import { InvalidDpopProofError, InvalidRequestError } from '@mandate/protocol';
import type { ClientRecord } from '../../storage/records.ts';
import { constantTimeEqual } from '../../crypto/hash.ts';
import type { DpopKey } from '../types.ts';
import type { SubjectToken } from './subject-token.ts';

export function checkSubjectKeyBinding(subject: SubjectToken, client: ClientRecord, dpop: DpopKey | null): void {
  if (client.tokenEndpointAuthMethod === 'none') return checkPublicClientSubject(subject, dpop);
  const jkt = boundKey(subject);
  if (jkt === null || subject.claims.client_id !== client.clientId) return;
  requireProofOf(jkt, dpop);
}

/** RFC 8693 §5: a public client's subject token must be bound, and its key proven (above). */
function checkPublicClientSubject(subject: SubjectToken, dpop: DpopKey | null): void {
  if (subject.origin !== undefined) return; // another issuer's token: its own policy decides (see above)
  const jkt = boundKey(subject);
  if (jkt === null) {
    throw new InvalidRequestError(
      'A public client may exchange only a DPoP-bound subject_token, with a DPoP proof of its key: this one is a bearer token, which anyone holding it could exchange (RFC 8693 §5). Obtain the subject token with DPoP, or authenticate as a confidential client.',
    );
  }
  requireProofOf(jkt, dpop);
}

function boundKey(subject: SubjectToken): string | null {
  const cnf = subject.claims.cnf as { jkt?: unknown } | undefined;
  return typeof cnf?.jkt === 'string' ? cnf.jkt : null;
}

function requireProofOf(jkt: string, dpop: DpopKey | null): void {
  if (dpop === null) throw new InvalidDpopProofError('The subject_token is DPoP-bound: send a DPoP proof signed with its key (RFC 9449 §6.1).');
  if (!constantTimeEqual(dpop.jkt, jkt)) throw new InvalidRequestError('The DPoP proof key is not the key the subject_token is bound to.');
}
