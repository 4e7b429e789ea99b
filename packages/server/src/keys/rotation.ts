/**
 * Signing key lifecycle in storage: exactly one active key, retired keys published until the
 * last token they signed has expired, then purged. Several instances may share one database,
 * so every rule here is one that all instances reach on their own (the newest active key wins).
 */
import type { Envelope } from '../crypto/envelope.ts';
import type { Storage } from '../storage/storage.ts';
import type { SigningKeyRecord } from '../storage/records.ts';
import { generateSigningKey, type GeneratedKey, type SigningAlg } from './key-material.ts';

/**
 * How often an instance re-reads the key table on its own (seconds). Another instance may have
 * rotated meanwhile; until this instance notices, it keeps signing with the key just retired, so
 * a retired key stays published this much longer than the longest token lifetime.
 */
export const KEY_RELOAD_INTERVAL = 60;

export interface KeyLifecycle {
  storage: Storage;
  envelope: Envelope;
  alg: SigningAlg;
  now: () => number;
  /** The longest lifetime of a token signed with these keys (seconds). */
  maxTokenTtl: number;
}

/** Newest first: the order in which instances agree on which active key wins. */
export function byNewest(a: SigningKeyRecord, b: SigningKeyRecord): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.kid < b.kid ? 1 : a.kid > b.kid ? -1 : 0;
}

export function newestActive(records: SigningKeyRecord[]): SigningKeyRecord | undefined {
  return records.filter((r) => r.status === 'active').sort(byNewest)[0];
}

/** When a key retired now stops being published: after its last token expired (see KEY_RELOAD_INTERVAL). */
export function publishUntilFor(lifecycle: KeyLifecycle, retiredAt: number): number {
  return retiredAt + lifecycle.maxTokenTtl + KEY_RELOAD_INTERVAL;
}

/**
 * Creates a new active key and retires every other active key in one transaction, so no reader
 * ever sees zero active keys, then purges retired keys whose publication has ended.
 */
export async function rotateKeys(lifecycle: KeyLifecycle): Promise<GeneratedKey> {
  const now = lifecycle.now();
  const generated = await generateSigningKey(lifecycle.alg, lifecycle.envelope, now);
  await lifecycle.storage.transaction(async (tx) => {
    const previous = (await tx.signingKeys.list()).filter((r) => r.status === 'active');
    await tx.signingKeys.create(generated.record);
    for (const key of previous) await tx.signingKeys.retire(key.kid, now, publishUntilFor(lifecycle, now));
  });
  await lifecycle.storage.signingKeys.purge(now);
  return generated;
}

/**
 * At start: purge what has expired, then make sure exactly one active key with the configured
 * algorithm exists. A changed `signingAlg` rotates (the old key stays published for its tokens);
 * two active keys (two instances that started together) are settled by retiring all but the newest.
 * Returns the freshly generated key, when one was made, so its private key need not be re-imported.
 */
export async function ensureActiveKey(lifecycle: KeyLifecycle): Promise<GeneratedKey | null> {
  const { storage } = lifecycle;
  const now = lifecycle.now();
  await storage.signingKeys.purge(now);
  const records = await storage.signingKeys.list();
  const winner = newestActive(records);
  if (!winner || winner.alg !== lifecycle.alg) return rotateKeys(lifecycle);
  for (const key of records) {
    if (key.status === 'active' && key.kid !== winner.kid) await storage.signingKeys.retire(key.kid, now, publishUntilFor(lifecycle, now));
  }
  return null;
}

/** The keys a verifier may trust at `now`: the active ones and retired ones still within publication. */
export function publishedKeys(records: SigningKeyRecord[], now: number): SigningKeyRecord[] {
  return records.filter((r) => r.status === 'active' || (r.publishUntil !== null && r.publishUntil > now)).sort(byNewest);
}
