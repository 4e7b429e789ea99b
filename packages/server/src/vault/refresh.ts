/**
 * Refresh of one entry at its provider (RFC 6749 §6), run under the service's single-flight.
 * Rotation (RFC 9700 §4.14.2) is honoured: a new refresh token in the response replaces the
 * stored one, otherwise the old one is kept. The write is a compare-and-set on the ciphertext,
 * so when another instance refreshed first its tokens win and ours are dropped; every write also
 * requires the entry still `ok`, so an unlink that marked it `revoked` meanwhile is never undone
 * (the tokens that lost to it are revoked here: the unlink revokes only what is stored).
 */
import type { Storage } from '../storage/storage.ts';
import type { VaultEntryRecord } from '../storage/records.ts';
import type { KeyEncryptionKeys } from './kek.ts';
import { open, seal, type Binding } from './envelope.ts';
import { VaultConflictError, VaultEntryUnusableError, VaultNotFoundError, VaultProviderError } from './errors.ts';
import { decodePayload, encodePayload, type OAuthPayload } from './payload.ts';
import { providerClientFor } from './connections.ts';
import { refreshTokens, revokeDropped, type Fetch } from './provider-client.ts';

export interface RefreshDeps {
  storage: Storage;
  keys: KeyEncryptionKeys;
  fetch: Fetch;
  now: () => number;
  refreshSkewSeconds: number;
}

export function entryBinding(e: Pick<VaultEntryRecord, 'id' | 'userId' | 'connectionId'>): Binding {
  return { kind: 'entry', entryId: e.id, userId: e.userId, connectionId: e.connectionId };
}

/**
 * Fresh: no known expiry, or more than the skew left. The skew is capped at half the token's
 * lifetime when it is known: a provider issuing 60-second tokens must not be refreshed on every release.
 */
export function isFresh(p: OAuthPayload, now: number, skew: number): boolean {
  if (p.expires_at === null) return true;
  const cap = p.obtained_at === undefined ? skew : Math.floor((p.expires_at - p.obtained_at) / 2);
  return p.expires_at - now > Math.min(skew, cap);
}

async function openOAuth(deps: RefreshDeps, entry: VaultEntryRecord): Promise<OAuthPayload> {
  const payload = decodePayload(await open(deps.keys, entryBinding(entry), entry.sealed));
  if (payload.kind !== 'oauth') throw new VaultNotFoundError(`Entry ${entry.id} holds a static key, not OAuth tokens.`);
  return payload;
}

/**
 * Only a refused grant (RFC 6749 §5.2 invalid_grant: the refresh token is expired, revoked or
 * spent) needs the user to link again: the entry is marked. Anything else — a rate limit, an
 * invalid_client while an admin rotates the client secret, an outage — keeps the entry `ok` with
 * the code in `last_error` and is retried on the next use. (invalid_scope cannot be about the
 * refresh: the vault never sends a scope with it.)
 */
function isPermanent(e: VaultProviderError): boolean {
  return e.status !== null && e.status < 500 && e.error === 'invalid_grant';
}

export async function refreshEntry(deps: RefreshDeps, entryId: string, options: { force?: boolean; takeover?: boolean } = {}): Promise<OAuthPayload> {
  const entry = await deps.storage.vault.entries.get(entryId);
  if (!entry) throw new VaultNotFoundError(`Entry ${entryId} does not exist.`);
  if (entry.status !== 'ok') throw new VaultEntryUnusableError(entry.id, entry.status, entry.lastError);
  const current = await openOAuth(deps, entry);
  const now = deps.now();
  // Another caller or instance refreshed while this one waited.
  if (!options.force && isFresh(current, now, deps.refreshSkewSeconds)) return current;
  if (current.refresh_token === null) {
    if (current.expires_at === null || current.expires_at > now) return current;
    if (await markRefreshFailed(deps, entry, 'no_refresh_token', now)) throw new VaultEntryUnusableError(entry.id, 'refresh_failed', 'no_refresh_token');
    return winnerOrThrow(deps, entry); // re-linked (or refreshed elsewhere) meanwhile
  }
  const connection = await deps.storage.vault.connections.get(entry.connectionId);
  if (!connection) throw new VaultNotFoundError(`Connection ${entry.connectionId} does not exist.`);
  // Before the lease: a connection failing its integrity check gets no refresh token and holds no lease.
  const client = await providerClientFor(connection, deps.keys, deps.fetch);
  // Across instances: only the lease holder spends the refresh token; the others wait for its result.
  if (!(await deps.storage.vault.entries.claimRefresh(entry.id, entry.sealed.ciphertext, now + REFRESH_LEASE_SECONDS, now))) {
    return awaitOtherRefresh(deps, entry, current, options.takeover !== true);
  }

  let tokens;
  try {
    tokens = await refreshTokens(client, current.refresh_token);
  } catch (err) {
    if (!(err instanceof VaultProviderError)) throw err;
    return failed(deps, entry, current, err);
  }
  const next: OAuthPayload = {
    kind: 'oauth',
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken ?? current.refresh_token,
    expires_at: tokens.expiresIn === null ? null : now + tokens.expiresIn,
    scope: tokens.scope ?? current.scope,
    obtained_at: now,
  };
  const sealed = await seal(deps.keys, entryBinding(entry), encodePayload(next));
  if (await deps.storage.vault.entries.replaceSealed(entry.id, entry.sealed.ciphertext, { sealed, status: 'ok', lastError: null, updatedAt: now }, 'ok')) return next;
  const latest = await deps.storage.vault.entries.get(entry.id);
  if (!latest || latest.status === 'revoked') {
    // Unlinked while the provider answered. A refresh token that was not rotated is still the stored one, which the unlink revokes.
    await revokeDropped(client, tokens);
    throw latest ? new VaultEntryUnusableError(latest.id, latest.status, latest.lastError) : new VaultNotFoundError(`Entry ${entry.id} does not exist.`);
  }
  return winnerOrThrow(deps, entry, latest);
}

/** How long a refresh lease lasts: longer than the provider call's timeout (provider-client.ts), so a live holder never loses it. */
export const REFRESH_LEASE_SECONDS = 30;
const POLL_MS = 25;

/**
 * Another instance holds the refresh lease (or just refreshed): wait until its result is
 * stored, then use it. Bounded by wall-clock time, not by `deps.now`, so a stalled holder
 * cannot block a caller for longer than the lease.
 */
async function awaitOtherRefresh(deps: RefreshDeps, entry: VaultEntryRecord, current: OAuthPayload, mayTakeOver: boolean): Promise<OAuthPayload> {
  const deadline = Date.now() + REFRESH_LEASE_SECONDS * 1000;
  for (;;) {
    const latest = await deps.storage.vault.entries.get(entry.id);
    if (!latest) throw new VaultNotFoundError(`Entry ${entry.id} does not exist.`);
    if (latest.status !== 'ok') throw new VaultEntryUnusableError(latest.id, latest.status, latest.lastError);
    if (latest.sealed.ciphertext !== entry.sealed.ciphertext) return openOAuth(deps, latest);
    // The holder gave up without new tokens (a provider outage): the caller is where it would be after its own failure.
    if (latest.refreshLeaseUntil === null) {
      if (current.expires_at !== null && current.expires_at > deps.now()) return current;
      throw new VaultProviderError(latest.lastError ?? 'temporarily_unavailable', null);
    }
    // The holder died without releasing: its lease ran out, so this caller takes the refresh over (once).
    if (mayTakeOver && latest.refreshLeaseUntil <= deps.now()) return refreshEntry(deps, entry.id, { takeover: true });
    if (Date.now() > deadline) throw new VaultConflictError(`Entry ${entry.id} is being refreshed elsewhere; try again.`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The stored value changed under us: another instance's refresh (or a re-link) is the current one. */
async function winnerOrThrow(deps: RefreshDeps, entry: VaultEntryRecord, known?: VaultEntryRecord): Promise<OAuthPayload> {
  const latest = known ?? (await deps.storage.vault.entries.get(entry.id));
  if (!latest) throw new VaultNotFoundError(`Entry ${entry.id} does not exist.`);
  if (latest.status !== 'ok') throw new VaultEntryUnusableError(latest.id, latest.status, latest.lastError);
  return openOAuth(deps, latest);
}

async function failed(deps: RefreshDeps, entry: VaultEntryRecord, current: OAuthPayload, err: VaultProviderError): Promise<OAuthPayload> {
  const now = deps.now();
  const latest = await deps.storage.vault.entries.get(entry.id);
  // With rotation, losing a race to another instance shows up as invalid_grant for the spent refresh token.
  if (latest && latest.sealed.ciphertext !== entry.sealed.ciphertext) return winnerOrThrow(deps, entry, latest);
  if (isPermanent(err)) {
    if (await markRefreshFailed(deps, entry, err.error, now)) throw new VaultEntryUnusableError(entry.id, 'refresh_failed', err.error);
    return winnerOrThrow(deps, entry); // re-linked (or refreshed elsewhere) since the read above
  }
  // Only on the value this refresh read: a re-link since then keeps its lease-free state and is served.
  if (!(await deps.storage.vault.entries.setStatus(entry.id, 'ok', err.error, now, 'ok', entry.sealed.ciphertext))) return winnerOrThrow(deps, entry);
  if (current.expires_at !== null && current.expires_at > now) return current;
  throw err;
}

const VAULT_REFRESH_FAILED_EVENT = 'vault_refresh_failed';

/**
 * An entry the provider no longer refreshes (the user must link again): marked `refresh_failed`
 * and audited in one transaction (AU-1: a linked account that stops working is a change of what
 * agents can do for the user, and may be the provider revoking Mandate's access). Only the
 * transition of the value the refresh read is recorded: a compare-and-set on its ciphertext while
 * still `ok`, so a re-link (or another instance's refresh) that stored new tokens meanwhile is
 * neither marked nor audited — its tokens are served — and a second instance failing the same way
 * records nothing more. True when this call marked the entry.
 * PostgreSQL lock order: the user row first, as deprovisioning takes it (account/deprovision.ts:
 * user row, then the audit lock through its revocations, then the entries), so the two never
 * wait on each other in a cycle.
 */
async function markRefreshFailed(deps: RefreshDeps, entry: VaultEntryRecord, reason: string, now: number): Promise<boolean> {
  return deps.storage.transaction(async (tx) => {
    await tx.users.getForShare(entry.userId);
    // Status only: the sealed value is never written back (a KEK rewrap meanwhile keeps the ciphertext, and must stay).
    const marked = await tx.vault.entries.setStatus(entry.id, 'refresh_failed', reason, now, 'ok', entry.sealed.ciphertext);
    if (!marked) return false;
    await tx.audit.append(
      { event: VAULT_REFRESH_FAILED_EVENT, userId: entry.userId, resource: `urn:mandate:vault:${entry.connectionId}`, result: 'failure', reason, data: { connection: entry.connectionId, entry_id: entry.id } },
      now,
    );
    return true;
  });
}
