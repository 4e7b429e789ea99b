/**
 * Everything an endpoint needs, built once in server.ts and passed explicitly (no globals),
 * so tests can start several independent servers in one process.
 */
import type { JWK, JWTPayload, JWTVerifyResult } from 'jose';
import type { Logger } from 'pino';
import type { MandateConfig } from './config/config.ts';
import type { Storage } from './storage/storage.ts';
import type { Envelope } from './crypto/envelope.ts';
import type { AuditEventInput, ClientRecord, SigningKeyRecord } from './storage/records.ts';
import type { TokenVault } from './vault/service.ts';

/** The authorization server's own signing keys (keys/signing-keys.ts). */
export interface SigningKeys {
  /** Signs with the active key; `typ` per profile (`at+jwt`, `JWT`, …). */
  sign(payload: JWTPayload, options: { typ: string }): Promise<string>;
  /** Verifies a JWT this server issued (any published key), checking iss, exp and typ when given. */
  verify(token: string, options: { typ?: string; audience?: string | string[] }): Promise<JWTVerifyResult>;
  /** Public keys to publish: the active key and retired keys until their last token expires. */
  jwks(): Promise<{ keys: JWK[] }>;
  /** Creates a new active key; the old one is retired but stays published. */
  rotate(): Promise<SigningKeyRecord>;
  /** The algorithms the published keys use (for metadata). */
  algorithms(): string[];
}

/** Resolves a client_id to its registration: stored (static/admin/DCR) or a fetched Client ID Metadata Document. */
export interface ClientRegistry {
  /** Returns null when the client is unknown. Throws InvalidClientError-like OAuth errors when a CIMD cannot be used. */
  get(clientId: string): Promise<ClientRecord | null>;
}

export interface AuditLog {
  record(event: AuditEventInput): Promise<void>;
}

export interface ServerContext {
  config: MandateConfig;
  storage: Storage;
  keys: SigningKeys;
  clients: ClientRegistry;
  audit: AuditLog;
  /** Encryption at rest with MANDATE_SECRET_KEY. */
  envelope: Envelope;
  logger: Logger;
  /** The token vault (issue 5): one per server, so concurrent releases share one refresh per entry (vault/single-flight.ts). */
  vault: TokenVault;
  /** Current time in epoch seconds; tests may replace it. */
  now(): number;
}
