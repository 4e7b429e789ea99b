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
import { VaultConflictError, VaultEntryUnusableError, VaultNotFoundError, VaultProviderError } from './errors.ts';
import { checkStaticKey, decodePayload, encodePayload, type EntryPayload, type OAuthPayload } from './payload.ts';
import { connectionView, createConnection, providerClientFor, updateConnection, verifiedProvider, type ConnectionInput, type ConnectionView } from './connections.ts';
import { exchangeCode, revokeDropped, type Fetch, type ProviderTokens } from './provider-client.ts';
import { beginLink, checkCallbackResponse, checkCallbackState, type CallbackParams, type PendingLink } from './link.ts';
import { entryBinding, isFresh, refreshEntry, type RefreshDeps } from './refresh.ts';
import { SingleFlight } from './single-flight.ts';
import { providerFetch } from './outbound.ts';
import { rewrapAll, type RewrapReport } from './rotation.ts';
import { revocationMissed, unlinkEntry, type ProviderRevocation } from './unlink.ts';

/** A refresh's result (never a rejection, so every caller sharing it sees the same), and the settings generation it started under. */
type RefreshOutcome = { generation: number } & ({ payload: OAuthPayload } | { error: unknown });

/** How long a process leaves an entry alone after a refresh failed on something passing. */
export const REFRESH_BACKOFF_SECONDS = 30;

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

export type { ProviderRevocation };

function entryView(e: VaultEntryRecord): EntryView {
  return { id: e.id, userId: e.userId, connectionId: e.connectionId, status: e.status, lastError: e.lastError, createdAt: e.createdAt, updatedAt: e.updatedAt };
}

/** A revoked entry still holds tokens whose revocation at the provider failed: overwriting them would leave them live there for good. */
function unlinkPending(connectionId: string): VaultConflictError {
  return new VaultConflictError(`The account at ${connectionId} is being unlinked; unlink it again before linking.`);
}

/**
 * ID-2: deprovisioning disables the user (row locked FOR UPDATE) and marks their entries revoked
 * in one transaction. Read for share in the writing transaction, the user is either seen disabled
 * here, or the write commits first and deprovisioning then marks the new entry too.
 */
async function refuseDisabledUser(tx: Storage, userId: string): Promise<void> {
  // Users are disabled, never deleted: only a disabled row is refused.
  if ((await tx.users.getForShare(userId))?.disabled === true) throw new VaultConflictError('The user is disabled: no account can be linked.');
}

export class TokenVault {
  private readonly deps: RefreshDeps;
  private readonly flight = new SingleFlight<RefreshOutcome>();
  /** Entry id → epoch second until which this process does not try to refresh it again (refreshWithBackoff). */
  private readonly backoff = new Map<string, number>();
  /** Bumped by every connection update: a refresh that started before one does not pause. */
  private settingsGeneration = 0;

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

  async updateConnection(id: string, change: Parameters<typeof updateConnection>[3]): Promise<ConnectionView> {
    const view = await updateConnection(this.storage, this.deps.keys, id, change, this.deps.now());
    // An admin's change (a rotated client secret, a fixed endpoint) is the fix a paused refresh waits
    // for: try again at once. A refresh still running with the old settings must not pause it again.
    this.backoff.clear();
    this.settingsGeneration += 1;
    return view;
  }

  async getConnection(id: string): Promise<ConnectionView | null> {
    const c = await this.storage.vault.connections.get(id);
    return c ? connectionView(c) : null;
  }

  async listConnections(page?: { limit?: number; offset?: number }): Promise<ConnectionView[]> {
    return (await this.storage.vault.connections.list(page)).map(connectionView);
  }

  /**
   * Unlinks every entry (revoking at the provider) and removes the connection. Entries whose
   * tokens could not be revoked are kept, `revoked` with the reason, and so is the connection
   * (`deleted: false`): deleting again retries; `force` forgets them, still live at the provider.
   */
  async deleteConnection(id: string, options: { force?: boolean } = {}): Promise<{ deleted: boolean; unlinked: number; revocationFailed: number; failedEntryIds: string[] }> {
    // All at once, before the first provider call: an entry not reached yet must not be released or refreshed meanwhile.
    await this.storage.vault.entries.revokeAllAtConnection(id, 'connection_deleted', this.deps.now());
    const entries: VaultEntryRecord[] = [];
    for (let offset = 0; ; offset += 500) {
      const batch = await this.storage.vault.entries.listForConnection(id, { limit: 500, offset });
      entries.push(...batch);
      if (batch.length < 500) break;
    }
    // Kept (and retried by deleting again) only where a retry can succeed: an undecryptable entry is already gone.
    const failedEntryIds: string[] = [];
    let revocationFailed = 0;
    for (const e of entries) {
      const outcome = await this.unlinkEntry(e);
      if (revocationMissed(outcome)) revocationFailed++;
      if (outcome === 'failed') failedEntryIds.push(e.id);
    }
    const result = { unlinked: entries.length, revocationFailed, failedEntryIds };
    if (failedEntryIds.length > 0 && options.force !== true) return { deleted: false, ...result };
    return { deleted: await this.storage.vault.connections.delete(id), ...result };
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

  /** The provider redirected back: checks state and issuer, spends the code (with the PKCE verifier) and stores the tokens. */
  async completeLink(userId: string, pending: PendingLink, params: CallbackParams): Promise<EntryView> {
    checkCallbackState(pending, userId, params, this.deps.now());
    const c = await this.storage.vault.connections.get(pending.connectionId);
    if (!c) throw new VaultNotFoundError(`Connection ${pending.connectionId} does not exist.`);
    // Verified first: the issuer `iss` is compared with is the one an admin saved, not one rewritten in the database.
    const client = await providerClientFor(c, this.deps.keys, this.deps.fetch);
    const code = checkCallbackResponse(params, client.metadata);
    const tokens = await exchangeCode(client, { code, codeVerifier: pending.codeVerifier, redirectUri: pending.redirectUri });
    try {
      return await this.linkTokens(userId, pending.connectionId, tokens);
    } catch (err) {
      // Not stored (an unlink or a deprovisioning got there first): nobody else will ever hold these tokens to revoke them.
      await revokeDropped(client, tokens);
      throw err;
    }
  }

  /** Stores provider tokens for the user at the connection (a first link, or a re-link that replaces the old tokens). */
  async linkTokens(userId: string, connectionId: string, tokens: ProviderTokens): Promise<EntryView> {
    const now = this.deps.now();
    const payload: OAuthPayload = { kind: 'oauth', access_token: tokens.accessToken, refresh_token: tokens.refreshToken, expires_at: tokens.expiresIn === null ? null : now + tokens.expiresIn, scope: tokens.scope, obtained_at: now };
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
        const replaced = await this.storage.transaction(async (tx) => {
          await refuseDisabledUser(tx, userId);
          return tx.vault.entries.replaceSealed(existing.id, existing.sealed.ciphertext, next, existing.status);
        });
        if (replaced) return { entry: entryView({ ...existing, ...next }), replaced: true };
        continue;
      }
      const id = `vle_${randomBytes(16).toString('base64url')}`;
      const record: VaultEntryRecord = { id, userId, connectionId, sealed: await seal(this.deps.keys, entryBinding({ id, userId, connectionId }), encodePayload(payload)), status: 'ok', lastError: null, refreshLeaseUntil: null, createdAt: now, updatedAt: now };
      try {
        await this.storage.transaction(async (tx) => {
          await refuseDisabledUser(tx, userId);
          await tx.vault.entries.create(record);
        });
        return { entry: entryView(record), replaced: false };
      } catch (err) {
        if (err instanceof VaultConflictError) throw err;
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
    if (entry.status !== 'ok') throw new VaultEntryUnusableError(entry.id, entry.status, entry.lastError);
    return entry;
  }

  /** A valid provider access token, refreshed first when it expires within the skew; concurrent callers share that refresh. */
  async accessToken(userId: string, connectionId: string): Promise<ReleasedToken> {
    const entry = await this.usableEntry(userId, connectionId);
    const payload = decodePayload(await open(this.deps.keys, entryBinding(entry), entry.sealed));
    if (payload.kind !== 'oauth') throw new VaultNotFoundError(`Connection ${connectionId} holds a static key.`);
    const fresh = isFresh(payload, this.deps.now(), this.deps.refreshSkewSeconds) ? payload : await this.refreshWithBackoff(entry, payload);
    return { accessToken: fresh.access_token, expiresAt: fresh.expires_at, scope: fresh.scope };
  }

  /**
   * A refresh that failed on something passing (provider down or slow, a rate limit) is not tried
   * again by this process for REFRESH_BACKOFF_SECONDS: each try can take the provider call's whole
   * timeout, which every release would otherwise wait out, and a struggling provider would be
   * called once per release. Meanwhile a token still valid is served as is, and an expired one is
   * refused at once with the last error (the release answers temporarily_unavailable). `refresh`
   * (a forced retry) ignores the backoff.
   */
  private async refreshWithBackoff(entry: VaultEntryRecord, current: OAuthPayload): Promise<OAuthPayload> {
    const now = this.deps.now();
    const until = this.backoff.get(entry.id);
    if (until !== undefined && now < until) {
      if (current.expires_at === null || current.expires_at > now) return current;
      throw new VaultProviderError(entry.lastError ?? 'temporarily_unavailable', null, 'the provider failed recently; the refresh is retried after a pause');
    }
    const outcome = await this.refreshShared(entry.id);
    if ('error' in outcome) {
      if (outcome.error instanceof VaultProviderError) this.pause(entry.id, now, outcome.generation);
      throw outcome.error;
    }
    const next = outcome.payload;
    // Served unrefreshed: the provider failed and the current token is still valid (refresh.ts
    // failed()). Not a token without a refresh token: nothing was tried, and at its expiry the
    // refresh must mark it refresh_failed (re-link), not be paused.
    if (next.access_token === current.access_token && next.refresh_token !== null && !isFresh(next, now, this.deps.refreshSkewSeconds)) this.pause(entry.id, now, outcome.generation);
    else this.backoff.delete(entry.id);
    return next;
  }

  /**
   * One refresh per entry in this process (SingleFlight), whoever asks; the outcome carries the
   * settings generation the refresh *started* under, which a caller joining it later cannot know.
   */
  private refreshShared(entryId: string, options: { force?: boolean } = {}): Promise<RefreshOutcome> {
    return this.flight.run(entryId, async () => {
      const generation = this.settingsGeneration;
      try {
        return { generation, payload: await refreshEntry(this.deps, entryId, options) };
      } catch (error) {
        return { generation, error };
      }
    });
  }

  private pause(entryId: string, now: number, generation: number): void {
    // The connection was updated while this refresh ran (with the old settings): its failure says nothing about the new ones.
    if (generation !== this.settingsGeneration) return;
    // Bounded by the linked entries in use; ended pauses are dropped when it grows.
    if (this.backoff.size >= 10_000) for (const [id, until] of this.backoff) if (until <= now) this.backoff.delete(id);
    this.backoff.set(entryId, now + REFRESH_BACKOFF_SECONDS);
  }

  /** Forces a refresh now (an admin "retry", or a provider that rejected the current access token). */
  async refresh(userId: string, connectionId: string): Promise<ReleasedToken> {
    const entry = await this.usableEntry(userId, connectionId);
    const outcome = await this.refreshShared(entry.id, { force: true });
    if ('error' in outcome) throw outcome.error;
    const p = outcome.payload;
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
    for (const e of entries) if (revocationMissed(await this.unlinkEntry(e))) revocationFailed++;
    return { unlinked: entries.length, revocationFailed };
  }

  /** unlink.ts; waits for this process's refresh of the entry, whose outcome it must see. */
  private unlinkEntry(entry: Pick<VaultEntryRecord, 'id'>): Promise<ProviderRevocation> {
    return unlinkEntry(this.deps, entry.id, (id) => this.flight.settled(id));
  }
}
