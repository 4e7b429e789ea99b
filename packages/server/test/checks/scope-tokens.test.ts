/**
 * One reading of stored scope strings (checks/scope.ts scopeTokens): RFC 6749 §3.3 delimits
 * scope tokens by spaces, so the empty strings a leading, trailing or repeated space leaves are
 * never scopes — for the client's registered scope, a consent, or a token's scope claim.
 */
import { describe, expect, it } from 'vitest';
import { checkScopeAllowed, scopeTokens } from '../../src/checks/scope.ts';
import { userClaims } from '../../src/tokens/user-claims.ts';
import type { UserRecord } from '../../src/storage/records.ts';

const config = { scopesSupported: ['openid', 'profile', 'email', 'a', 'b', 'c'] };

describe('RFC 6749 §3.3 scope tokens', () => {
  it('splits on spaces and drops the empty strings of leading, trailing and repeated spaces', () => {
    expect(scopeTokens('a b')).toEqual(['a', 'b']);
    expect(scopeTokens('  a  b ')).toEqual(['a', 'b']);
    expect(scopeTokens('b a b')).toEqual(['b', 'a', 'b']); // order and repeats kept: callers build sets
  });

  it('has no tokens for an absent, empty or all-space scope', () => {
    for (const value of [null, undefined, '', ' ', '   ']) expect(scopeTokens(value)).toEqual([]);
  });

  it('treats only the space character as a delimiter (syntax is checked on requests, not here)', () => {
    expect(scopeTokens('a\tb')).toEqual(['a\tb']);
  });

  it('reads a client registered with "a  b" as the scopes a and b', () => {
    const client = { clientId: 'double-space', scope: '  a  b ' };
    expect(() => checkScopeAllowed(new Set(['a', 'b']), client, config)).not.toThrow();
    expect(() => checkScopeAllowed(new Set(['c']), client, config)).toThrow(/may not request the scope 'c'/);
  });

  it('reads a client registered with only spaces as unrestricted within scopes_supported', () => {
    const client = { clientId: 'spaces', scope: '   ' };
    expect(() => checkScopeAllowed(new Set(['a', 'c']), client, config)).not.toThrow();
    expect(() => checkScopeAllowed(new Set(['z']), client, config)).toThrow(/not supported/);
  });

  it('releases OIDC Core §5.4 claims for a granted scope string with extra spaces', () => {
    const user = { id: 'usr_1', email: 'x@example.com', name: 'X', updatedAt: 1 } as UserRecord;
    expect(userClaims(user, ' profile  email ')).toMatchObject({ sub: 'usr_1', name: 'X', email: 'x@example.com' });
    expect(userClaims(user, '  ')).toEqual({ sub: 'usr_1' });
  });
});
