/**
 * RFC 8693 §4.4 `may_act`: a subject token may name who is allowed to act for its subject. When
 * it does, the actor must match it (sub, and iss when given); a subject token with `may_act` and
 * no actor is not refused — nobody is acting.
 */
import { InvalidRequestError } from '@mandate/protocol';
import type { Actor } from './act-chain.ts';

export function checkMayAct(mayAct: unknown, actor: Actor | null, issuer: string): void {
  if (mayAct === undefined || actor === null) return;
  if (typeof mayAct !== 'object' || mayAct === null || typeof (mayAct as { sub?: unknown }).sub !== 'string') {
    throw new InvalidRequestError('The subject token carries a malformed may_act claim (RFC 8693 §4.4).');
  }
  const allowed = mayAct as { sub: string; iss?: unknown };
  const actorIss = actor.iss ?? issuer;
  if (allowed.sub !== actor.sub || (typeof allowed.iss === 'string' && allowed.iss !== actorIss)) {
    throw new InvalidRequestError(`The subject token's may_act does not allow '${actor.sub}' to act for its subject (RFC 8693 §4.4).`);
  }
}
