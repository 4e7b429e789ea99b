/**
 * Every migration, in order, as plain objects: nothing is discovered on disk at runtime, so
 * the set a server runs is exactly the set it was built with. Names sort lexically; append new
 * ones with the next number and never edit one that has shipped.
 */
import type { Migration, MigrationProvider } from 'kysely';
import type { StorageKind } from '../context.ts';
import { initialMigration } from './0001-initial.ts';
import { agentsMigration } from './0002-agents.ts';
import { passkeysMigration } from './0003-passkeys.ts';

export function migrationProvider(kind: StorageKind): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001-initial': initialMigration(kind),
    '0002-agents': agentsMigration(kind),
    '0003-passkeys': passkeysMigration(),
  };
  return { getMigrations: async () => migrations };
}
