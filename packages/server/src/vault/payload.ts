/**
 * What an entry's ciphertext holds. OAuth entries keep the provider's tokens and absolute expiry
 * (epoch seconds); static entries keep the API key. Parsed strictly: a value that decrypts but
 * does not have this shape is treated as corrupted, never half-used.
 */
import { MAX_STATIC_KEY_LENGTH, VaultDecryptError, VaultInvalidKeyError } from './errors.ts';

export interface OAuthPayload {
  kind: 'oauth';
  access_token: string;
  refresh_token: string | null;
  /** Epoch seconds; null when the provider gave no expires_in. */
  expires_at: number | null;
  scope: string | null;
  /** Epoch seconds the access token was obtained (absent in entries stored before it was kept): bounds the refresh skew (refresh.ts isFresh). */
  obtained_at?: number;
}

export interface StaticPayload {
  kind: 'static';
  api_key: string;
}

export type EntryPayload = OAuthPayload | StaticPayload;

/**
 * A static key as a provider would accept it in a header: bounded, and no control characters
 * (a CR/LF would split the header it is later sent in). Surrounding spaces are refused rather
 * than trimmed here, so what is stored is exactly what was checked; the form trims a paste.
 */
export function checkStaticKey(apiKey: string): string {
  if (apiKey.length === 0 || apiKey.length > MAX_STATIC_KEY_LENGTH || /[\u0000-\u001f\u007f]/.test(apiKey) || apiKey.trim() !== apiKey) throw new VaultInvalidKeyError();
  return apiKey;
}

export function encodePayload(payload: EntryPayload): string {
  return JSON.stringify(payload);
}

const isStringOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

export function decodePayload(text: string): EntryPayload {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new VaultDecryptError();
  }
  const p = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (p.kind === 'static' && typeof p.api_key === 'string') return { kind: 'static', api_key: p.api_key };
  if (
    p.kind === 'oauth' &&
    typeof p.access_token === 'string' &&
    isStringOrNull(p.refresh_token) &&
    (p.expires_at === null || typeof p.expires_at === 'number') &&
    isStringOrNull(p.scope)
  ) {
    const obtained = typeof p.obtained_at === 'number' ? { obtained_at: p.obtained_at } : {};
    return { kind: 'oauth', access_token: p.access_token, refresh_token: p.refresh_token, expires_at: p.expires_at, scope: p.scope, ...obtained };
  }
  throw new VaultDecryptError();
}
