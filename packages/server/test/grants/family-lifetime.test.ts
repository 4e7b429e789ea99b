/**
 * RFC 9700 §4.14.2: one formula for when a refresh token family began — the user grant at the
 * root of the tree — shared by the token endpoint, introspection and token exchange.
 */
import { describe, expect, it } from 'vitest';
import { familyStartOf } from '../../src/grants/refresh-token/family-lifetime.ts';

describe('RFC 9700 §4.14.2 familyStartOf', () => {
  it("is a user grant's own creation when it has no ancestors", () => {
    expect(familyStartOf({ createdAt: 1_000 }, [])).toBe(1_000);
  });

  it('is the root grant (the last ancestor, parent first) for an exchanged grant', () => {
    expect(familyStartOf({ createdAt: 3_000 }, [{ createdAt: 2_000 }, { createdAt: 1_000 }])).toBe(1_000);
  });

  it("follows the root, not the oldest record, whatever the stored times say", () => {
    // The root is who authorized: a parent stored with an earlier time does not move the family.
    expect(familyStartOf({ createdAt: 3_000 }, [{ createdAt: 500 }, { createdAt: 1_000 }])).toBe(1_000);
  });
});
