/**
 * Key rotation without downtime: start the server with the new KEK as current and the old one
 * still readable (LocalKeyEncryptionKeys' `older`, or the KMS keeping both), then run `rewrapAll`.
 * It re-wraps every data key still under another KEK; ciphertexts are never rewritten, so
 * readers always find a complete value, and each row is swapped by compare-and-set so a refresh
 * racing the rewrap keeps its (already current) write. Retire the old KEK once `remaining` is 0.
 */
import type { Storage } from '../storage/storage.ts';
import type { KeyEncryptionKeys } from './kek.ts';
import { rewrap } from './envelope.ts';
import { VaultError } from './errors.ts';
import { connectionBinding } from './connections.ts';
import { entryBinding } from './refresh.ts';

export interface RewrapReport {
  /** Entries and connection secrets moved to the current KEK. */
  rewrapped: number;
  /** Rows a concurrent write changed first (already current); nothing to do. */
  skipped: number;
  /** Rows that could not be unwrapped (unknown KEK, corrupted); ids only, to inspect. */
  failed: { kind: 'entry' | 'connection'; id: string; code: string }[];
}

const BATCH = 200;

async function rewrapEntries(storage: Storage, keys: KeyEncryptionKeys, report: RewrapReport): Promise<void> {
  let afterId: string | undefined;
  for (;;) {
    const batch = await storage.vault.entries.listNotUnderKek(keys.currentKeyId, { limit: BATCH, ...(afterId !== undefined ? { afterId } : {}) });
    for (const e of batch) {
      try {
        const next = await rewrap(keys, entryBinding(e), e.sealed);
        const swapped = await storage.vault.entries.rewrap(e.id, e.sealed, { kekId: next.kekId, wrappedKey: next.wrappedKey });
        if (swapped) report.rewrapped++;
        else report.skipped++;
      } catch (err) {
        if (!(err instanceof VaultError)) throw err;
        report.failed.push({ kind: 'entry', id: e.id, code: err.code });
      }
    }
    if (batch.length < BATCH) return;
    afterId = batch[batch.length - 1]!.id;
  }
}

async function rewrapConnections(storage: Storage, keys: KeyEncryptionKeys, report: RewrapReport): Promise<void> {
  let afterId: string | undefined;
  for (;;) {
    const batch = await storage.vault.connections.listNotUnderKek(keys.currentKeyId, { limit: BATCH, ...(afterId !== undefined ? { afterId } : {}) });
    for (const c of batch) {
      const sealed = c.clientSecret;
      if (!sealed) continue;
      try {
        const next = await rewrap(keys, connectionBinding(c), sealed);
        if (await storage.vault.connections.rewrapSecret(c.id, sealed, next)) report.rewrapped++;
        else report.skipped++;
      } catch (err) {
        if (!(err instanceof VaultError)) throw err;
        report.failed.push({ kind: 'connection', id: c.id, code: err.code });
      }
    }
    if (batch.length < BATCH) return;
    afterId = batch[batch.length - 1]!.id;
  }
}

/** Re-wraps every entry and connection secret with `keys.currentKeyId`. Safe to run again; safe while serving. */
export async function rewrapAll(storage: Storage, keys: KeyEncryptionKeys): Promise<RewrapReport> {
  const report: RewrapReport = { rewrapped: 0, skipped: 0, failed: [] };
  await rewrapEntries(storage, keys, report);
  await rewrapConnections(storage, keys, report);
  return report;
}
