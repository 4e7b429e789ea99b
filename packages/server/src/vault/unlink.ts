/**
 * Unlinking one entry (VA-1): marked `revoked` first (nothing is released or refreshed from then
 * on), then the tokens stored *now* are revoked at the provider (RFC 7009) and the entry removed.
 * The tokens are read after the mark, not before: a refresh that stored new tokens before the mark
 * has them revoked here; one that lost its write to the mark revokes its own (refresh.ts).
 */
import type { VaultEntryRecord } from '../storage/records.ts';
import { open } from './envelope.ts';
import { VaultConnectionIntegrityError, VaultDecryptError, VaultError, VaultProviderError } from './errors.ts';
import { decodePayload, type EntryPayload } from './payload.ts';
import { providerClientFor } from './connections.ts';
import { revokeToken } from './provider-client.ts';
import { entryBinding, type RefreshDeps } from './refresh.ts';

/**
 * `failed`: the provider could not be asked; the entry is kept, revoked, so unlinking again retries.
 * `undecryptable`: the stored tokens cannot be decrypted, so nobody can ever revoke them; the entry
 * is deleted (there is nothing left to retry with).
 */
export type ProviderRevocation = 'revoked' | 'not_supported' | 'failed' | 'undecryptable';

/** The provider still holds tokens we did not revoke. */
export function revocationMissed(r: ProviderRevocation): boolean {
  return r === 'failed' || r === 'undecryptable';
}

/**
 * `refreshSettled` waits for this process's refresh of the entry (if one is running) to end, so
 * that its outcome — stored, or revoked by itself — is known before the row is read.
 */
export async function unlinkEntry(deps: RefreshDeps, entryId: string, refreshSettled: (entryId: string) => Promise<void>): Promise<ProviderRevocation> {
  const { storage, now } = deps;
  // Gone: an unlink running elsewhere finished it. An entry already revoked (a connection's deletion,
  // deprovisioning) keeps that reason while its tokens are revoked, and for good if this unlink dies half-way.
  if (!(await storage.vault.entries.markRevoked(entryId, now()))) return 'revoked';
  await refreshSettled(entryId);
  const entry = await storage.vault.entries.get(entryId);
  if (!entry) return 'revoked';
  let payload: EntryPayload;
  try {
    payload = decodePayload(await open(deps.keys, entryBinding(entry), entry.sealed));
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    // Truly undecryptable tokens cannot be revoked by anyone: forgotten. Any other failure (a KEK
    // not configured on this instance) is kept, revoked, so unlinking again with the key revokes it.
    if (err instanceof VaultDecryptError) {
      await storage.vault.entries.delete(entry.id);
      return 'undecryptable';
    }
    await markFailed(deps, entry, err.code);
    return 'failed';
  }
  const connection = await storage.vault.connections.get(entry.connectionId);
  if (payload.kind === 'static' || !connection) {
    await storage.vault.entries.delete(entry.id);
    return 'not_supported';
  }
  try {
    // Verified first: a revocation endpoint removed (or redirected) in the database must not skip (or steal) the revocation.
    const client = await providerClientFor(connection, deps.keys, deps.fetch);
    if (client.metadata.revocationEndpoint === null) {
      await storage.vault.entries.delete(entry.id);
      return 'not_supported';
    }
    // RFC 7009 §2.1: revoking the refresh token should end the grant; the access token is revoked too for providers that do not.
    if (payload.refresh_token !== null) await revokeToken(client, payload.refresh_token, 'refresh_token');
    await revokeToken(client, payload.access_token, 'access_token');
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    await markFailed(deps, entry, err instanceof VaultProviderError ? err.error : err instanceof VaultConnectionIntegrityError ? 'connection_integrity' : err.code);
    return 'failed';
  }
  await storage.vault.entries.delete(entry.id);
  return 'revoked';
}

async function markFailed(deps: RefreshDeps, entry: VaultEntryRecord, reason: string): Promise<void> {
  await deps.storage.vault.entries.setStatus(entry.id, 'revoked', `revocation_failed:${reason}`, deps.now());
}
