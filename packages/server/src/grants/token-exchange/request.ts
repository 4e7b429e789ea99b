/**
 * The token exchange request (RFC 8693 §2.1): which token stands for the subject, which for the
 * actor, what is asked for and for whom. Only syntax is checked here; every token is verified by
 * its own module (subject-token.ts, actor-token.ts).
 */
import { InvalidRequestError, TokenTypeUri } from '@mandate/protocol';
import type { Params } from '../../http/params.ts';

export interface ExchangeRequest {
  subjectToken: string;
  subjectTokenType: string;
  actorToken: string | null;
  actorTokenType: string | null;
  /** §2.1: "If the requested type is unspecified, the issued token type is at the discretion of the AS": an access token. */
  requestedTokenType: string;
  /** §2.1 `audience`: logical names of the target services (may repeat). */
  audiences: string[];
  /** §2.1 `resource` (RFC 8707): URIs of the target services (may repeat). */
  resources: string[];
  /** The scope asked for, or null when omitted (§2.1: optional). */
  requestedScope: string | null;
}

/** The token types this server issues (§3): access tokens, or an ID-JAG for another authorization server. */
export const ISSUABLE_TOKEN_TYPES: readonly string[] = [TokenTypeUri.AccessToken, TokenTypeUri.IdJag];

export function readExchangeRequest(params: Params): ExchangeRequest {
  const subjectToken = params.require('subject_token'); // §2.1 REQUIRED
  const subjectTokenType = params.require('subject_token_type'); // §2.1 REQUIRED
  const actorToken = params.get('actor_token') ?? null;
  const actorTokenType = params.get('actor_token_type') ?? null;
  // §2.1: actor_token_type "is REQUIRED when the actor_token parameter is present ... and MUST NOT be included otherwise".
  if (actorToken !== null && actorTokenType === null) throw new InvalidRequestError('actor_token_type is required when actor_token is sent (RFC 8693 §2.1).');
  if (actorToken === null && actorTokenType !== null) throw new InvalidRequestError('actor_token_type must not be sent without an actor_token (RFC 8693 §2.1).');
  const requestedTokenType = params.get('requested_token_type') ?? TokenTypeUri.AccessToken;
  if (!ISSUABLE_TOKEN_TYPES.includes(requestedTokenType)) {
    throw new InvalidRequestError(`The requested_token_type '${truncate(requestedTokenType)}' is not issued here: ask for an access token or an ID-JAG.`);
  }
  return {
    subjectToken,
    subjectTokenType,
    actorToken,
    actorTokenType,
    requestedTokenType,
    audiences: unique(params.getAll('audience')),
    resources: unique(params.getAll('resource')),
    requestedScope: params.get('scope') ?? null,
  };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

export function truncate(value: string, max = 100): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
