/**
 * Keys for the interaction layer, derived from MANDATE_SECRET_KEY with HKDF (RFC 5869) so each
 * use has its own key and none of them is the key that encrypts data at rest.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import type { MandateConfig } from '../config/config.ts';

export type KeyPurpose = 'csrf' | 'interaction-binding';

export function derivedKey(config: Pick<MandateConfig, 'secretKey'>, purpose: KeyPurpose): Buffer {
  const ikm = Buffer.from(config.secretKey, 'base64url');
  return Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), `mandate ${purpose} v1`, 32));
}

/** HMAC-SHA-256 of `message` under the purpose's key, base64url. */
export function mac(config: Pick<MandateConfig, 'secretKey'>, purpose: KeyPurpose, message: string): string {
  return createHmac('sha256', derivedKey(config, purpose)).update(message).digest('base64url');
}
