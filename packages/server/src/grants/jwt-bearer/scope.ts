/**
 * The scope of a jwt-bearer token: what was asked (RFC 6749 §3.3, `scope`; when omitted, the
 * caller passes the identity's default as `allowed`) intersected with what the mapped identity may
 * hold — what the client's own credentials would allow (client-credentials/checks.ts
 * clientScopeAllowance, an agent's allowed scopes included), an ID-JAG issuer's policy for the client. Scopes
 * outside the identity's allowance are dropped (the response's `scope` tells the client, §5.1);
 * unsupported ones or an empty result are invalid_scope: nothing is issued without a scope.
 */
import { formatScope, InvalidScopeError } from '@mandate/protocol';
import type { MandateConfig } from '../../config/config.ts';
import { parseRequestedScope } from '../../checks/scope.ts';

/** Scopes that need an interactive user session, never granted from an assertion. */
const NEVER_FROM_ASSERTION = new Set(['offline_access']);

export function assertionScope(requested: Set<string>, allowed: Iterable<string>, config: Pick<MandateConfig, 'scopesSupported'>): string {
  const supported = new Set(config.scopesSupported);
  const allowance = new Set([...allowed].filter((s) => supported.has(s) && !NEVER_FROM_ASSERTION.has(s)));
  for (const s of requested) {
    if (!supported.has(s)) throw new InvalidScopeError(`The scope '${s.slice(0, 100)}' is not supported by this server.`);
  }
  const granted = requested.size === 0 ? [...allowance] : [...requested].filter((s) => allowance.has(s));
  if (granted.length > 0) return formatScope(granted);
  // RFC 6749 §3.3: with no default to fall back on, the request fails rather than yield an empty token.
  if (requested.size === 0) throw new InvalidScopeError('No scope was requested and the identity of this assertion has no default scope: name the scopes it needs in `scope`.');
  throw new InvalidScopeError('None of the requested scopes is allowed for the identity of this assertion.');
}

export function requestedScope(value: string | undefined): Set<string> {
  return parseRequestedScope(value);
}
