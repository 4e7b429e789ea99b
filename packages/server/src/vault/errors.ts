/**
 * Vault errors carry a stable `code` (a discriminated union, as jose does) so callers branch on
 * the code and never on a message. Messages never contain key material, tokens or ciphertext:
 * they may reach logs and admin responses.
 */
export type VaultErrorCode =
  | 'ERR_VAULT_DECRYPT'
  | 'ERR_VAULT_KEK_UNKNOWN'
  | 'ERR_VAULT_KEY_SOURCE'
  | 'ERR_VAULT_NOT_FOUND'
  | 'ERR_VAULT_CONFLICT'
  | 'ERR_VAULT_ENTRY_UNUSABLE'
  | 'ERR_VAULT_CONNECTION_INTEGRITY'
  | 'ERR_VAULT_PROVIDER'
  | 'ERR_VAULT_INVALID_KEY'
  | 'ERR_VAULT_INVALID_CONNECTION';

export abstract class VaultError extends Error {
  abstract readonly code: VaultErrorCode;
}

/**
 * Authentication of a wrapped key or a ciphertext failed: a wrong KEK, a corrupted value, or a
 * ciphertext moved to another entry (its associated data no longer matches).
 */
export class VaultDecryptError extends VaultError {
  readonly code = 'ERR_VAULT_DECRYPT' as const;
  override readonly name = 'VaultDecryptError';
  constructor(what = 'vault entry') {
    super(`The ${what} could not be decrypted: wrong key-encryption key, corrupted data, or data bound to another entry.`);
  }
}

/** The entry names a key-encryption key this server does not hold (retired too early, or another deployment's). */
export class VaultKeyUnknownError extends VaultError {
  readonly code = 'ERR_VAULT_KEK_UNKNOWN' as const;
  override readonly name = 'VaultKeyUnknownError';
  constructor(readonly kekId: string) {
    super(`Key-encryption key "${kekId}" is not available.`);
  }
}

/** A key source (secret key, key file) is missing or malformed; raised at start-up, never per request. */
export class VaultKeySourceError extends VaultError {
  readonly code = 'ERR_VAULT_KEY_SOURCE' as const;
  override readonly name = 'VaultKeySourceError';
}

export class VaultNotFoundError extends VaultError {
  readonly code = 'ERR_VAULT_NOT_FOUND' as const;
  override readonly name = 'VaultNotFoundError';
}

/** A write lost to a concurrent one (an entry already linked, a connection id taken). */
export class VaultConflictError extends VaultError {
  readonly code = 'ERR_VAULT_CONFLICT' as const;
  override readonly name = 'VaultConflictError';
}

/** The entry is revoked, or its refresh failed and it needs the user to link again. */
export class VaultEntryUnusableError extends VaultError {
  readonly code = 'ERR_VAULT_ENTRY_UNUSABLE' as const;
  override readonly name = 'VaultEntryUnusableError';
  constructor(
    readonly entryId: string,
    readonly status: string,
    /** The entry's stored reason (`last_error`: a provider error code, `no_refresh_token`, …), when known. */
    readonly reason: string | null = null,
  ) {
    super(`Vault entry ${entryId} is ${status}.`);
  }
}

/**
 * A connection's provider metadata (endpoints, client id, authentication method, scopes) no
 * longer matches what its sealed client credential was bound to: someone changed the row
 * without the key-encryption key. Nothing is sent to the provider — the endpoints may be an
 * attacker's — until an administrator saves the connection again.
 */
export class VaultConnectionIntegrityError extends VaultError {
  readonly code = 'ERR_VAULT_CONNECTION_INTEGRITY' as const;
  override readonly name = 'VaultConnectionIntegrityError';
  constructor(readonly connectionId: string) {
    super(`Connection ${connectionId} failed its integrity check: its provider metadata or client credential was changed outside Mandate. Save the connection again (with its client secret) to restore it.`);
  }
}

/**
 * The third-party provider refused or failed a request. `error` is its RFC 6749 §5.2 code (or
 * `network_error` / `invalid_response`); the provider's error_description is kept only when it
 * is short printable text, and no token ever is.
 */
export class VaultProviderError extends VaultError {
  readonly code = 'ERR_VAULT_PROVIDER' as const;
  override readonly name = 'VaultProviderError';
  constructor(
    readonly error: string,
    readonly status: number | null,
    description?: string,
  ) {
    super(description ? `Provider error ${error}: ${description}` : `Provider error ${error}`);
  }
}

export const MAX_STATIC_KEY_LENGTH = 4096;

/** A static API key that cannot be stored (empty, too long, control characters). The message never quotes the key. */
export class VaultInvalidKeyError extends VaultError {
  readonly code = 'ERR_VAULT_INVALID_KEY' as const;
  override readonly name = 'VaultInvalidKeyError';
  constructor() {
    super(`A static API key must be 1 to ${MAX_STATIC_KEY_LENGTH} characters, without spaces at either end or control characters.`);
  }
}

/**
 * A connection that could not work as configured: an OAuth client whose token endpoint
 * authentication method needs a secret it does not have, or a static-key connection given
 * provider metadata or a client secret it would never use. Refused rather than silently stored
 * (or silently dropped). The message names the connection and the fields, never a secret.
 */
export class VaultInvalidConnectionError extends VaultError {
  readonly code = 'ERR_VAULT_INVALID_CONNECTION' as const;
  override readonly name = 'VaultInvalidConnectionError';
}
