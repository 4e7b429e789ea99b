/**
 * Requested scope checks (RFC 6749 §3.3): syntax, known to the server, allowed for the client.
 * The server never silently widens; unknown scopes are refused rather than dropped so a client
 * learns of its mistake.
 */
import { InvalidScopeError, parseScope } from '@mandate/protocol';
import type { MandateConfig } from '../config/config.ts';
import type { ClientRecord } from '../storage/records.ts';

/**
 * RFC 6749 §3.3: a scope is a list of space-delimited tokens, so the empty strings a split leaves
 * around leading, trailing or repeated spaces are not scopes. No syntax check: for scope strings
 * this server holds (registrations, consents, its own tokens) and for membership tests against
 * them (vault-release.ts); requests that set a grant's scope go through parseRequestedScope.
 * Cheap enough for the token-exchange hot path: one split and one filter.
 */
export function scopeTokens(value: string | null | undefined): string[] {
  if (!value) return [];
  return value.split(' ').filter((s) => s !== '');
}

export function parseRequestedScope(value: string | undefined): Set<string> {
  const scopes = parseScope(value);
  if (!scopes) throw new InvalidScopeError('The scope parameter is malformed (RFC 6749 §3.3).');
  return scopes;
}

/** Throws invalid_scope when a scope is not supported by the server or not allowed for the client. */
export function checkScopeAllowed(scopes: Set<string>, client: Pick<ClientRecord, 'scope' | 'clientId'>, config: Pick<MandateConfig, 'scopesSupported'>): void {
  const supported = new Set(config.scopesSupported);
  const clientAllowed = client.scope.trim() === '' ? null : new Set(scopeTokens(client.scope));
  for (const s of scopes) {
    if (!supported.has(s)) throw new InvalidScopeError(`The scope '${s}' is not supported by this server.`);
    if (clientAllowed && !clientAllowed.has(s)) throw new InvalidScopeError(`The client may not request the scope '${s}'.`);
  }
}
