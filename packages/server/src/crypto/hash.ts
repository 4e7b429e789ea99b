import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** SHA-256, base64url: how codes, refresh tokens, secrets and session ids are stored. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** 256 bits of randomness, base64url (43 characters). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Prefixed random identifier, e.g. `id('grt')` → `grt_…`. Not a secret. */
export function randomId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}

/** Constant-time comparison of two strings (compares SHA-256 digests so lengths never leak). */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

/**
 * Compares a presented secret against its stored SHA-256 (base64url) in constant time. Hashes the
 * presented value once and compares the raw digests (this runs on every client authentication):
 * both are 32 bytes, so the comparison's length leaks nothing.
 */
export function matchesHash(presented: string, storedHash: string): boolean {
  const stored = Buffer.from(storedHash, 'base64url');
  const digest = createHash('sha256').update(presented).digest();
  return stored.length === digest.length && timingSafeEqual(digest, stored);
}
