/**
 * A real storage (SQLite file or a fresh PostgreSQL schema), an envelope and a clock the test
 * moves by hand: what signing keys need, without an HTTP server.
 */
import { randomBytes } from 'node:crypto';
import { Envelope } from '../../src/crypto/envelope.ts';
import { openStorage } from '../../src/storage/open.ts';
import type { Storage } from '../../src/storage/storage.ts';
import { createSigningKeys } from '../../src/keys/signing-keys.ts';
import type { SigningKeys } from '../../src/context.ts';
import { isolatedDatabaseUrl, type Backend } from '../helpers/isolated-database.ts';

export type { Backend };

export const ISSUER = 'https://as.example.test';
export const MAX_TOKEN_TTL = 600;

export interface Clock {
  t: number;
  now: () => number;
}

export interface KeyFixture {
  storage: Storage;
  envelope: Envelope;
  clock: Clock;
  /** The SQLite file (null on PostgreSQL). */
  sqlitePath: string | null;
  keys(alg?: 'ES256' | 'EdDSA' | 'RS256', storage?: Storage): Promise<SigningKeys>;
  close(): Promise<void>;
}

export async function openKeyFixture(backend: Backend = 'sqlite'): Promise<KeyFixture> {
  const { url, cleanup } = isolatedDatabaseUrl(backend);
  const sqlitePath = backend === 'sqlite' ? url : null;
  const storage = await openStorage(url);
  await storage.migrate();
  const envelope = new Envelope(randomBytes(32).toString('base64url'));
  const clock: Clock = { t: 1_800_000_000, now: () => clock.t };
  return {
    storage,
    envelope,
    clock,
    sqlitePath,
    keys: (alg = 'ES256', s = storage) => createSigningKeys({ storage: s, envelope, issuer: ISSUER, alg, now: clock.now, maxTokenTtl: MAX_TOKEN_TTL }),
    async close() {
      await storage.close();
      cleanup();
    },
  };
}

/** The same storage, with every signing-key table read counted (what a reload costs). */
export function countingListReads(storage: Storage): { storage: Storage; reads: () => number } {
  let reads = 0;
  const signingKeys: Storage['signingKeys'] = {
    ...storage.signingKeys,
    list: async () => {
      reads += 1;
      return storage.signingKeys.list();
    },
  };
  return { storage: Object.assign(Object.create(storage) as Storage, { signingKeys }), reads: () => reads };
}
