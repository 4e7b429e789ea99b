/**
 * Password hashing with scrypt (node:crypto). Stored as
 * `scrypt$N$r$p$salt$hash` (base64url) so parameters can be raised later without breaking old hashes.
 *
 * Each scrypt call holds a libuv pool thread for tens of ms, and token signing needs that pool
 * too (pool-limit.ts): at most all but one of its threads hash passwords at once, the other
 * calls wait their turn without holding a thread. With a pool of one thread, hashing can still
 * take it.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ConcurrencyLimit, poolShareLeavingOneThread, threadPoolSize } from './pool-limit.ts';

const N = 2 ** 15;
const R = 8;
const P = 1;
const KEYLEN = 32;

/** Shared by every hash and verification in the process, the dummy hash for unknown accounts included. */
export const SCRYPT_CONCURRENCY = new ConcurrencyLimit(poolShareLeavingOneThread(threadPoolSize()));

/**
 * Password checks allowed to wait for a slot: 32 per running slot, about 1.5 s of queue at tens
 * of ms a hash. Past that a login flood is refused (QueueFullError) rather than queued without
 * bound; hashing a new password (admin API, SCIM) always waits.
 */
export const PASSWORD_CHECK_QUEUE_LIMIT = 32 * SCRYPT_CONCURRENCY.limit;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions, queueLimit?: number): Promise<Buffer> {
  return SCRYPT_CONCURRENCY.run(
    () =>
      new Promise<Buffer>((resolve, reject) =>
        scryptCb(password.normalize('NFKC'), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
      ),
    queueLimit === undefined ? {} : { queueLimit },
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, KEYLEN, { N, r: R, p: P, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', N, R, P, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Throws QueueFullError (crypto/pool-limit.ts) when PASSWORD_CHECK_QUEUE_LIMIT checks are already waiting. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltText, hashText] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashText, 'base64url');
  const actual = await scrypt(password, Buffer.from(saltText, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 64 * 1024 * 1024,
  }, PASSWORD_CHECK_QUEUE_LIMIT);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | null = null;

/**
 * A hash of a random password, verified against when the account does not exist, so timing does
 * not reveal which emails exist. Made once, on first use or when start-up calls it after the
 * server listens (start.ts), not at import: on a small machine the scrypt slot it takes would
 * otherwise delay the development seed's own password checks and so the server's readiness.
 */
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex')).catch((err: unknown) => {
    dummyHash = null; // the next caller tries again
    throw err;
  });
  return dummyHash;
}
