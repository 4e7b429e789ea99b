import { createHash, randomFillSync, timingSafeEqual } from 'node:crypto';

/** SHA-256, base64url: how codes, refresh tokens, secrets and session ids are stored. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/**
 * Random bytes drawn from the CSPRNG a pool at a time: every token response needs several small
 * random values (jti, audit id, refresh token), and one `randomFillSync` per 4 KiB costs far less
 * than one per value (Node's randomUUID pools the same way). Bytes are handed out once and wiped
 * as they are taken, so the pool never holds a value that was already used.
 */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

function randomBase64url(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`Cannot draw ${bytes} random bytes.`);
  if (bytes > POOL_SIZE / 4) return randomFillSync(Buffer.alloc(bytes)).toString('base64url');
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += bytes;
  const value = pool.toString('base64url', start, poolOffset);
  pool.fill(0, start, poolOffset);
  return value;
}

/** 256 bits of randomness, base64url (43 characters). */
export function randomToken(bytes = 32): string {
  return randomBase64url(bytes);
}

/** Prefixed random identifier, e.g. `id('grt')` → `grt_…`. Not a secret. */
export function randomId(prefix: string): string {
  return `${prefix}_${randomBase64url(16)}`;
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
