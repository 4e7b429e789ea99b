import { describe, expect, it } from 'vitest';
import { OAUTH_ERROR_CLASSES, InvalidClientError, UseDpopNonceError, isOAuthError, parseScope, formatScope, intersectScopes } from '../src/index.ts';

describe('RFC 6749 §5.2 error responses', () => {
  it('every error class carries its own code, a 4xx/5xx status and serialises to error + error_description', () => {
    for (const [code, Cls] of Object.entries(OAUTH_ERROR_CLASSES)) {
      const err = new Cls('something precise');
      expect(err.error).toBe(code);
      expect(err.status).toBeGreaterThanOrEqual(400);
      expect(err.toJSON()).toEqual({ error: code, error_description: 'something precise' });
      expect(isOAuthError(err)).toBe(true);
      expect(err.name).toBe(Cls.name);
    }
  });

  it('invalid_client is 401 and can carry WWW-Authenticate', () => {
    const err = new InvalidClientError('Client authentication failed.', { headers: { 'WWW-Authenticate': 'Basic realm="mandate"' } });
    expect(err.status).toBe(401);
    expect(err.headers['WWW-Authenticate']).toBe('Basic realm="mandate"');
  });

  it('RFC 9449 §8 use_dpop_nonce carries the DPoP-Nonce header', () => {
    const err = new UseDpopNonceError('Use the nonce.', { headers: { 'DPoP-Nonce': 'abc' } });
    expect(err.error).toBe('use_dpop_nonce');
    expect(err.headers['DPoP-Nonce']).toBe('abc');
  });

  it('detail stays out of the client-visible JSON', () => {
    const err = new InvalidClientError('Client authentication failed.', { detail: 'secret mismatch for client x' });
    expect(JSON.stringify(err.toJSON())).not.toContain('mismatch');
  });
});

describe('RFC 6749 §3.3 scope syntax', () => {
  it('parses space-delimited scope tokens and refuses malformed ones', () => {
    expect([...(parseScope('openid  profile') ?? [])]).toEqual(['openid', 'profile']);
    expect(parseScope('bad"quote')).toBeUndefined();
    expect(parseScope('back\\slash')).toBeUndefined();
    expect(parseScope(undefined)?.size).toBe(0);
  });

  it('formats sorted and de-duplicated; intersects', () => {
    expect(formatScope(['b', 'a', 'b'])).toBe('a b');
    expect([...intersectScopes(['a', 'b', 'c'], ['c', 'a'])]).toEqual(['a', 'c']);
  });
});
