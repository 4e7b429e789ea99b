/**
 * A DPoP-bound subject token (RFC 9449 §6.1 `cnf.jkt`) exchanged by the client it was issued to
 * needs a proof of that same key: otherwise whoever stole the token could launder it into a new
 * token bound to another key, or to none. A resource server exchanging a token addressed to it
 * (on-behalf-of) never held the caller's key; it authenticates as itself instead.
 */
import { InvalidDpopProofError, InvalidRequestError } from '@mandate/protocol';
import type { ClientRecord } from '../../storage/records.ts';
import { constantTimeEqual } from '../../crypto/hash.ts';
import type { DpopKey } from '../types.ts';
import type { SubjectToken } from './subject-token.ts';

export function checkSubjectKeyBinding(subject: SubjectToken, client: ClientRecord, dpop: DpopKey | null): void {
  const cnf = subject.claims.cnf as { jkt?: unknown } | undefined;
  if (typeof cnf?.jkt !== 'string' || subject.claims.client_id !== client.clientId) return;
  if (dpop === null) throw new InvalidDpopProofError('The subject_token is DPoP-bound: send a DPoP proof signed with its key (RFC 9449 §6.1).');
  if (!constantTimeEqual(dpop.jkt, cnf.jkt)) throw new InvalidRequestError('The DPoP proof key is not the key the subject_token is bound to.');
}
