import { describe, expect, it } from 'vitest';
import { constantTimeEqual, matchesHash, sha256 } from '../../src/crypto/hash.ts';

describe('secrets at rest: SHA-256 storage and constant-time comparison', () => {
  it('matchesHash accepts the secret whose SHA-256 is stored and nothing else', () => {
    const stored = sha256('correct-secret');
    expect(matchesHash('correct-secret', stored)).toBe(true);
    expect(matchesHash('correct-secreT', stored)).toBe(false);
    expect(matchesHash('', stored)).toBe(false);
  });

  it('matchesHash refuses a malformed stored hash instead of throwing', () => {
    expect(matchesHash('x', '')).toBe(false);
    expect(matchesHash('x', 'not base64url at all!')).toBe(false);
    expect(matchesHash('x', sha256('x').slice(0, 20))).toBe(false);
  });

  it('constantTimeEqual compares strings of any length', () => {
    expect(constantTimeEqual('a', 'a')).toBe(true);
    expect(constantTimeEqual('a', 'ab')).toBe(false);
  });
});
