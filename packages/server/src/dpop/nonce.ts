/**
 * RFC 9449 §8 server-provided nonces, stateless: a nonce is HMAC-SHA256 over a time slot, keyed
 * with a key derived (HKDF) from the server secret key. Every instance sharing the secret key
 * issues and accepts the same nonces, nothing is stored, and a nonce stays valid for the current
 * and the previous slot (5 to 10 minutes), which bounds how long a pre-computed proof is useful
 * (RFC 9449 §11.1).
 */
import { createHmac, hkdfSync } from 'node:crypto';
import type { ServerContext } from '../context.ts';
import type { MandateConfig } from '../config/config.ts';
import { constantTimeEqual } from '../crypto/hash.ts';

export const DPOP_NONCE_SLOT_SECONDS = 300;

const derivedKeys = new WeakMap<MandateConfig, Buffer>();

function nonceKey(config: MandateConfig): Buffer {
  let key = derivedKeys.get(config);
  if (!key) {
    // A dedicated derived key: the secret key itself also encrypts data at rest (crypto/envelope.ts).
    key = Buffer.from(hkdfSync('sha256', Buffer.from(config.secretKey, 'utf8'), 'mandate', 'mandate dpop nonce v1', 32));
    derivedKeys.set(config, key);
  }
  return key;
}

function slotOf(now: number): number {
  return Math.floor(now / DPOP_NONCE_SLOT_SECONDS);
}

function nonceForSlot(config: MandateConfig, slot: number): string {
  return createHmac('sha256', nonceKey(config)).update(`dpop-nonce:${slot}`).digest('base64url');
}

/** The nonce to send in a `DPoP-Nonce` header now (on challenges and on successful responses). */
export function currentDpopNonce(ctx: Pick<ServerContext, 'config' | 'now'>): string {
  return nonceForSlot(ctx.config, slotOf(ctx.now()));
}

/** True when the nonce was issued by this server for the current or the previous slot. */
export function isFreshDpopNonce(ctx: Pick<ServerContext, 'config' | 'now'>, nonce: unknown): boolean {
  if (typeof nonce !== 'string' || nonce.length !== 43) return false;
  const slot = slotOf(ctx.now());
  // Both candidates are always compared so the answer takes the same time either way.
  const current = constantTimeEqual(nonce, nonceForSlot(ctx.config, slot));
  const previous = constantTimeEqual(nonce, nonceForSlot(ctx.config, slot - 1));
  return current || previous;
}
