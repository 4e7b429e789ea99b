/**
 * The token vault (issue 5, VA-1/VA-2): links a user's account at a connection, keeps its
 * tokens sealed (envelope.ts), refreshes them before expiry (refresh.ts, one refresh per entry
 * at a time), and unlinks with revocation at the provider (RFC 7009). Releasing a token to a
 * caller is the token-exchange grant's job (README.md); it calls `accessToken` / `staticKey`
 * after its policy allowed the release.
 */
import { randomBytes } from 'node:crypto';
import type { Storage } from '../storage/storage.ts';
import type { VaultEntryRecord, VaultEntryStatus } from '../storage/records.ts';
import type { KeyEncryptionKeys } from './kek.ts';
import { open, seal } from './envelope.ts';
import { VaultConflictError, VaultConnectionIntegrityError, VaultEntryUnusableError, VaultError, VaultNotFoundError, VaultProviderError } from './errors.ts';
import { checkStaticKey, decodePayload, encodePayload, type EntryPayload, type OAuthPayload } from './payload.ts';
import { connectionView, createConnection, providerClientFor, updateConnection, verifiedProvider, type ConnectionInput, type ConnectionView } from './connections.ts';
import { exchangeCode, revokeToken, type Fetch, type ProviderTokens } from './provider-client.ts';
import { beginLink, checkCallback, type PendingLink } from './link.ts';
import { entryBinding, isFresh, refreshEntry, type RefreshDeps } from './refresh.ts';
import { SingleFlight } from './single-flight.ts';
import { providerFetch } from './outbound.ts';
import { rewrapAll, type RewrapReport } from './rotation.ts';

export interface TokenVaultOptions {
  storage: Storage;
  keys: KeyEncryptionKeys;
  /** Default: the SSRF-safe provider fetch with no development allowance (outbound.ts). */
  fetch?: Fetch;
  /** Epoch seconds. */
  now?: () => number;
  /** Refresh when less than this is left of the access token (default 60 s). */
  refreshSkewSeconds?: number;
}

/** What the user and admins see of an entry: never a token. */
export interface EntryView {
  id: string;
  userId: string;
  connectionId: string;
  status: VaultEntryStatus;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** What a release hands out: the provider access token, never the refresh token. */
export interface ReleasedToken {
  accessToken: string;
  expiresAt: number | null;
  scope: string | null;
}

export type ProviderRevocation = 'revoked' | 'not_supported' | 'failed';

function entryView(e: VaultEntryRecord): EntryView {
  return { id: e.id, userId: e.userId, connectionId: e.connectionId, status: e.status, lastError: e.lastError, createdAt: e.createdAt, updatedAt: e.updatedAt };
}

/** A revoked entry still holds tokens whose revocation at the provider failed: overwriting them would leave them live there for good. */
function unlinkPending(connectionId: string): VaultConflictError {
  return new VaultConflictError(`The account at ${connectionId} is being unlinked; unlink it again before linking.`);
}

export class TokenVault {
  private readonly deps: RefreshDeps;
  private readonly flight = new SingleFlight<OAuthPayload>();

  constructor(options: TokenVaultOptions) {
    this.deps = {
      storage: options.storage,
      keys: options.keys,
      fetch: options.fetch ?? providerFetch([]),
      now: options.now ?? (() => Math.floor(Date.now() / 1000)),
      refreshSkewSeconds: options.refreshSkewSeconds ?? 60,
    };
  }

  private get storage(): Storage {
    return this.deps.storage;
  }

  createConnection(input: ConnectionInput): Promise<ConnectionView> {
    return createConnection(this.storage, this.deps.keys, input, this.deps.now());
  }

  updateConnection(id: string, change: Parameters<typeof updateConnection>[3]): Promise<ConnectionView> {
    return updateConnection(this.storage, this.deps.keys, id, change, this.deps.now());
  }

  async getConnection(id: string): Promise<ConnectionView | null> {
    const c = await this.storage.vault.connections.get(id);
    return c ? connectionView(c) : null;
  }

  async listConnections(page?: { limit?: number; offset?: number }): Promise<ConnectionView[]> {
    return (await this.storage.vault.connections.list(page)).map(connectionView);
  }

  /** Unlinks every entry (revoking at the provider) and removes the connection. */
  async deleteConnection(id: string): Promise<{ deleted: boolean; unlinked: number; revocationFailed: number }> {
    const entries: VaultEntryRecord[] = [];
    for (let offset = 0; ; offset += 500) {
      const batch = await this.storage.vault.entries.listForConnection(id, { limit: 500, offset });
      entries.push(...batch);
      if (batch.length < 500) break;
    }
    let revocationFailed = 0;
    for (const e of entries) if ((await this.unlinkEntry(e)) === 'failed') revocationFailed++;
    // Entries left after a failed provider revocation go with the connection: nothing can release them any more.
    const unlinked = entries.length;
    return { deleted: await this.storage.vault.connections.delete(id), unlinked, revocationFailed };
  }

  /** Starts an account link; the caller keeps `pending` in the user's session and redirects to `authorizationUrl`. */
  async beginLink(userId: string, connectionId: string, redirectUri: string, scopes?: string[]): Promise<{ authorizationUrl: string; pending: PendingLink }> {
    const c = await this.storage.vault.connections.get(connectionId);
    if (!c || c.kind !== 'oauth' || c.provider === null) throw new VaultNotFoundError(`OAuth connection ${connectionId} does not exist.`);
    // The user's browser (and so the code) goes to the authorization endpoint: only to one an admin saved.
    const provider = await verifiedProvider(c, this.deps.keys);
    await this.refuseIfRevoking(userId, connectionId);
    return beginLink(provider, { userId, connectionId, redirectUri, ...(scopes ? { scopes } : {}) }, this.deps.now());
  }

  /** The provider redirected back: checks state, spends the code (with the PKCE verifier) and stores the tokens. */
  async completeLink(userId: string, pending: PendingLink, params: { state?: string | null; code?: string | null; error?: string | null }): Promise<EntryView> {
    const code = checkCallback(pending, userId, params, this.deps.now());
    const c = await this.storage.vault.connections.get(pending.connectionId);
    if (!c) throw new VaultNotFoundError(`Connection ${pending.connectionId} does not exist.`);
    const tokens = await exchangeCode(await providerClientFor(c, this.deps.keys, this.deps.fetch), { code, codeVerifier: pending.codeVerifier, redirectUri: pending.redirectUri });
    return this.linkTokens(userId, pending.connectionId, tokens);
  }

  /** Stores provider tokens for the user at the connection (a first link, or a re-link that replaces the old tokens). */
  async linkTokens(userId: string, connectionId: string, tokens: ProviderTokens): Promise<EntryView> {
    const now = this.deps.now();
    const payload: OAuthPayload = { kind: 'oauth', access_token: tokens.accessToken, refresh_token: tokens.refreshToken, expires_at: tokens.expiresIn === null ? null : now + tokens.expiresIn, scope: tokens.scope };
    return (await this.put(userId, connectionId, 'oauth', payload)).entry;
  }

  /**
   * VA-2: a static API key, kept by the server and released only through token exchange. Stores
   * a first key or replaces the current one (`replaced`); removing it is `unlink`.
   */
  async storeStaticKey(userId: string, connectionId: string, apiKey: string): Promise<EntryView & { replaced: boolean }> {
    const { entry, replaced } = await this.put(userId, connectionId, 'static', { kind: 'static', api_key: checkStaticKey(apiKey) });
    return { ...entry, replaced };
  }

  /** Before the user is sent to the provider: the link could not be stored (see unlinkPending). */
  private async refuseIfRevoking(userId: string, connectionId: string): Promise<void> {
    const existing = await this.storage.vault.entries.getFor(userId, connectionId);
    if (existing?.status === 'revoked') throw unlinkPending(connectionId);
  }

  private async put(userId: string, connectionId: string, kind: 'oauth' | 'static', payload: EntryPayload): Promise<{ entry: EntryView; replaced: boolean }> {
    const c = await this.storage.vault.connections.get(connectionId);
    if (!c || c.kind !== kind) throw new VaultNotFoundError(`${kind === 'oauth' ? 'OAuth' : 'Static'} connection ${connectionId} does not exist.`);
    // Two attempts: a concurrent first link of the same account turns our create into a replace.
    for (let attempt = 0; attempt < 2; attempt++) {
      const now = this.deps.now();
      const existing = await this.storage.vault.entries.getFor(userId, connectionId);
      if (existing) {
        if (existing.status === 'revoked') throw unlinkPending(connectionId);
        const sealed = await seal(this.deps.keys, entryBinding(existing), encodePayload(payload));
        const next = { sealed, status: 'ok' as const, lastError: null, updatedAt: now };
        // Status required unchanged: an unlink that marked the entry revoked meanwhile is not undone.
        if (await this.storage.vault.entries.replaceSealed(existing.id, existing.sealed.ciphertext, next, existing.status)) return { entry: entryView({ ...existing, ...next }), replaced: true };
        continue;
      }
      const id = `vle_${randomBytes(16).toString('base64url')}`;
      const record: VaultEntryRecord = { id, userId, connectionId, sealed: await seal(this.deps.keys, entryBinding({ id, userId, connectionId }), encodePayload(payload)), status: 'ok', lastError: null, refreshLeaseUntil: null, createdAt: now, updatedAt: now };
      try {
        await this.storage.vault.entries.create(record);
        return { entry: entryView(record), replaced: false };
      } catch (err) {
        // Unique (user_id, connection_id): another link won; replace its value on the next attempt.
        if (!(await this.storage.vault.entries.getFor(userId, connectionId))) throw err;
      }
    }
    throw new VaultConflictError(`Entry for ${connectionId} changed concurrently; try again.`);
  }

  async listForUser(userId: string): Promise<EntryView[]> {
    return (await this.storage.vault.entries.listForUser(userId)).map(entryView);
  }

  private async usableEntry(userId: string, connectionId: string): Promise<VaultEntryRecord> {
    const entry = await this.storage.vault.entries.getFor(userId, connectionId);
    if (!entry) throw new VaultNotFoundError(`No linked account at ${connectionId}.`);
    if (entry.status !== 'ok') throw new VaultEntryUnusableError(entry.id, entry.status);
    return entry;
  }

  /** A valid provider access token, refreshed first when it expires within the skew; concurrent callers share that refresh. */
  async accessToken(userId: string, connectionId: string): Promise<ReleasedToken> {
    const entry = await this.usableEntry(userId, connectionId);
    const payload = decodePayload(await open(this.deps.keys, entryBinding(entry), entry.sealed));
    if (payload.kind !== 'oauth') throw new VaultNotFoundError(`Connection ${connectionId} holds a static key.`);
    const fresh = isFresh(payload, this.deps.now(), this.deps.refreshSkewSeconds) ? payload : await this.flight.run(entry.id, () => refreshEntry(this.deps, entry.id));
    return { accessToken: fresh.access_token, expiresAt: fresh.expires_at, scope: fresh.scope };
  }

  /** Forces a refresh now (an admin "retry", or a provider that rejected the current access token). */
  async refresh(userId: string, connectionId: string): Promise<ReleasedToken> {
    const entry = await this.usableEntry(userId, connectionId);
    const p = await this.flight.run(entry.id, () => refreshEntry(this.deps, entry.id, { force: true }));
    return { accessToken: p.access_token, expiresAt: p.expires_at, scope: p.scope };
  }

  async staticKey(userId: string, connectionId: string): Promise<string> {
    const entry = await this.usableEntry(userId, connectionId);
    const payload = decodePayload(await open(this.deps.keys, entryBinding(entry), entry.sealed));
    if (payload.kind !== 'static') throw new VaultNotFoundError(`Connection ${connectionId} holds OAuth tokens, not a static key.`);
    return payload.api_key;
  }

  /**
   * Unlinks: the entry is marked revoked first (no release from then on), the tokens are revoked
   * at the provider, then the entry is removed. When the provider cannot be reached the entry
   * stays, revoked, with the error, so unlinking again retries; tokens that can no longer be
   * decrypted cannot be revoked by anyone and are just forgotten.
   */
  async unlink(userId: string, connectionId: string): Promise<{ providerRevocation: ProviderRevocation }> {
    const entry = await this.storage.vault.entries.getFor(userId, connectionId);
    if (!entry) throw new VaultNotFoundError(`No linked account at ${connectionId}.`);
    return { providerRevocation: await this.unlinkEntry(entry) };
  }

  /** The KEK new values are sealed with (what a finished rewrap has moved everything to). */
  get currentKeyId(): string {
    return this.deps.keys.currentKeyId;
  }

  /** Key rotation (rotation.ts): re-wraps every entry and connection credential with the current KEK. */
  rewrapAll(): Promise<RewrapReport> {
    return rewrapAll(this.storage, this.deps.keys);
  }

  /** Deprovisioning (ID-2): unlinks every account of a user. */
  async unlinkAllForUser(userId: string): Promise<{ unlinked: number; revocationFailed: number }> {
    let revocationFailed = 0;
    const entries = await this.storage.vault.entries.listForUser(userId);
    for (const e of entries) if ((await this.unlinkEntry(e)) === 'failed') revocationFailed++;
    return { unlinked: entries.length, revocationFailed };
  }

  private async unlinkEntry(entry: VaultEntryRecord): Promise<ProviderRevocation> {
    const { storage, keys, now } = this.deps;
    await storage.vault.entries.setStatus(entry.id, 'revoked', null, now());
    let payload: EntryPayload;
    try {
      payload = decodePayload(await open(keys, entryBinding(entry), entry.sealed));
    } catch (err) {
      if (!(err instanceof VaultError)) throw err;
      await storage.vault.entries.delete(entry.id);
      return 'failed';
    }
    const connection = await storage.vault.connections.get(entry.connectionId);
    if (payload.kind === 'static' || !connection) {
      await storage.vault.entries.delete(entry.id);
      return 'not_supported';
    }
    try {
      // Verified first: a revocation endpoint removed (or redirected) in the database must not skip (or steal) the revocation.
      const client = await providerClientFor(connection, keys, this.deps.fetch);
      if (client.metadata.revocationEndpoint === null) {
        await storage.vault.entries.delete(entry.id);
        return 'not_supported';
      }
      // RFC 7009 §2.1: revoking the refresh token should end the grant; the access token is revoked too for providers that do not.
      if (payload.refresh_token !== null) await revokeToken(client, payload.refresh_token, 'refresh_token');
      await revokeToken(client, payload.access_token, 'access_token');
    } catch (err) {
      if (!(err instanceof VaultError)) throw err;
      const reason = err instanceof VaultProviderError ? err.error : err instanceof VaultConnectionIntegrityError ? 'connection_integrity' : err.code;
      await storage.vault.entries.setStatus(entry.id, 'revoked', `revocation_failed:${reason}`, now());
      return 'failed';
    }
    await storage.vault.entries.delete(entry.id);
    return 'revoked';
  }
}
