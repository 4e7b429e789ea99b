import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/config.ts';
import { currentDpopNonce, DPOP_NONCE_SLOT_SECONDS, isFreshDpopNonce } from '../../src/dpop/nonce.ts';

function context(secretKey = randomBytes(32).toString('base64url')) {
  const config = ConfigSchema.parse({ mode: 'development', issuer: 'https://as.example.com', port: 0, dataDir: '/tmp', databaseUrl: ':memory:', secretKey });
  const clock = { t: 1_800_000_000 };
  return { config, now: () => clock.t, clock };
}

describe('RFC 9449 §8 stateless server nonces', () => {
  it('is a 43-character base64url value, stable within a slot', () => {
    const ctx = context();
    const nonce = currentDpopNonce(ctx);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    ctx.clock.t += 1;
    expect(currentDpopNonce(ctx)).toBe(nonce);
  });

  it('is valid in its own slot and the next one, and stale after that', () => {
    const ctx = context();
    ctx.clock.t = Math.floor(ctx.clock.t / DPOP_NONCE_SLOT_SECONDS) * DPOP_NONCE_SLOT_SECONDS;
    const nonce = currentDpopNonce(ctx);
    expect(isFreshDpopNonce(ctx, nonce)).toBe(true);
    ctx.clock.t += DPOP_NONCE_SLOT_SECONDS;
    expect(currentDpopNonce(ctx)).not.toBe(nonce);
    expect(isFreshDpopNonce(ctx, nonce)).toBe(true);
    ctx.clock.t += DPOP_NONCE_SLOT_SECONDS;
    expect(isFreshDpopNonce(ctx, nonce)).toBe(false);
  });

  it('is not valid before it was issued (no nonces from the future)', () => {
    const ctx = context();
    ctx.clock.t += 2 * DPOP_NONCE_SLOT_SECONDS;
    const later = currentDpopNonce(ctx);
    ctx.clock.t -= 2 * DPOP_NONCE_SLOT_SECONDS;
    expect(isFreshDpopNonce(ctx, later)).toBe(false);
  });

  it('is keyed by the server secret: another server does not accept it, one sharing the key does', () => {
    const secret = randomBytes(32).toString('base64url');
    const a = context(secret);
    const b = context(secret);
    const other = context();
    const nonce = currentDpopNonce(a);
    expect(isFreshDpopNonce(b, nonce)).toBe(true);
    expect(isFreshDpopNonce(other, nonce)).toBe(false);
  });

  it('refuses values that are not nonces', () => {
    const ctx = context();
    for (const value of [undefined, null, 42, '', 'x'.repeat(43), `${currentDpopNonce(ctx)}x`, { nonce: currentDpopNonce(ctx) }]) {
      expect(isFreshDpopNonce(ctx, value)).toBe(false);
    }
  });
});
