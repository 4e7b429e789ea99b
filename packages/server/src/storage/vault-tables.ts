/**
 * Row shapes of the vault tables (migrations/0005-vault.ts). Kept out of db-types.ts so the
 * vault stays one self-contained addition; repositories/vault-*.ts view the database through
 * `VaultDatabase`. Same conventions: JSON as TEXT, times as epoch seconds.
 */
import type { Kysely } from 'kysely';
import type { RepoContext } from './context.ts';

export interface VaultConnectionsTable {
  id: string;
  kind: string;
  display_name: string;
  /** JSON VaultProviderMetadata; null for static connections. */
  provider: string | null;
  client_secret_kek_id: string | null;
  client_secret_wrapped_key: string | null;
  client_secret_ciphertext: string | null;
  created_at: number;
  updated_at: number;
}

export interface VaultEntriesTable {
  id: string;
  user_id: string;
  connection_id: string;
  kek_id: string;
  wrapped_key: string;
  ciphertext: string;
  status: string;
  last_error: string | null;
  refresh_lease_until: number | null;
  created_at: number;
  updated_at: number;
}

export interface VaultDatabase {
  vault_connections: VaultConnectionsTable;
  vault_entries: VaultEntriesTable;
}

/** The repository context's handle, typed for the vault tables (the same connection or transaction). */
export function vaultDb(ctx: RepoContext): Kysely<VaultDatabase> {
  return ctx.db as unknown as Kysely<VaultDatabase>;
}
