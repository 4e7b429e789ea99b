import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dummyPasswordHash, SCRYPT_CONCURRENCY, hashPassword, verifyPassword } from '../../src/crypto/password.ts';
import { poolShareLeavingOneThread, threadPoolSize } from '../../src/crypto/pool-limit.ts';

describe('password hashing (scrypt)', () => {
  it('stores scrypt$N$r$p$salt$hash and verifies only the right password', async () => {
    const stored = await hashPassword('correct horse');
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('correct horsE', stored)).toBe(false);
    expect(await verifyPassword('correct horse', 'not-a-hash')).toBe(false);
  });

  it('gives unknown accounts a full scrypt verification against the dummy hash', async () => {
    const dummy = await dummyPasswordHash();
    expect(dummy).toMatch(/^scrypt\$32768\$8\$1\$/);
    const verifying = verifyPassword('anything', dummy);
    expect(SCRYPT_CONCURRENCY.running).toBe(1); // it took a slot: a real scrypt, not a shortcut
    expect(await verifying).toBe(false);
  });
});

describe('availability: password hashing leaves a pool thread to token signing', () => {
  it('runs at most all but one of the pool’s threads of scrypt at once; the rest wait', async () => {
    await dummyPasswordHash();
    const limit = poolShareLeavingOneThread(threadPoolSize());
    expect(SCRYPT_CONCURRENCY.limit).toBe(limit);
    const hashes = Array.from({ length: limit + 3 }, (_, i) => hashPassword(`password ${i}`));
    expect(SCRYPT_CONCURRENCY.running).toBe(limit);
    expect(SCRYPT_CONCURRENCY.waiting).toBe(3);
    const stored = await Promise.all(hashes);
    expect(await verifyPassword('password 0', stored[0]!)).toBe(true);
    expect(SCRYPT_CONCURRENCY.running).toBe(0);
  });

  it('signs with WebCrypto (the pool jose uses) while a burst of logins is still hashing', async () => {
    await dummyPasswordHash();
    const { privateKey } = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    const burst = 4 * threadPoolSize();
    let hashed = 0;
    const hashes = Array.from({ length: burst }, (_, i) => hashPassword(`login ${i}`).then(() => hashed++));
    const signature = await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, new Uint8Array(32));
    const hashedWhenSigned = hashed;
    await Promise.all(hashes);
    expect(signature.byteLength).toBe(64);
    // Without the limit the signature queues behind every scrypt already handed to libuv.
    expect(hashedWhenSigned).toBeLessThan(burst / 2);
  });
});
