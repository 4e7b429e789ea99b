/**
 * Schemas and error mapping shared by the admin API's vault routes (vault-connections.ts,
 * vault-static-keys.ts): one definition of a connection id and of what an entry looks like to
 * an admin (owner, status, last error — never a token or key).
 */
import { z } from 'zod';
import { InvalidRequestError, NotFoundError } from '@mandate/protocol';
import type { VaultEntryRecord } from '../storage/records.ts';
import type { EntryView } from '../vault/service.ts';
import { VaultConflictError, VaultConnectionIntegrityError, VaultInvalidConnectionError, VaultInvalidKeyError, VaultNotFoundError } from '../vault/errors.ts';

export const epoch = z.number().int().describe('Unix time, seconds');

export const ConnectionId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lowercase letters, digits, ".", "_" or "-", at most 64');
export const ConnectionIdParam = z.object({ connectionId: ConnectionId });

export const EntryViewSchema = z.object({
  id: z.string(),
  user_id: z.string(),
  connection_id: z.string(),
  status: z.enum(['ok', 'refresh_failed', 'revoked']),
  last_error: z.string().nullable().describe("The provider's error code of the last failed refresh or revocation; never a token."),
  created_at: epoch,
  updated_at: epoch,
});

export function entryView(e: VaultEntryRecord | EntryView): z.output<typeof EntryViewSchema> {
  return { id: e.id, user_id: e.userId, connection_id: e.connectionId, status: e.status, last_error: e.lastError, created_at: e.createdAt, updated_at: e.updatedAt };
}

/** Vault errors as the admin API's OAuth-style errors (their messages never carry a secret). */
export async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof VaultNotFoundError) throw new NotFoundError(err.message);
    const refused = err instanceof VaultConflictError || err instanceof VaultConnectionIntegrityError || err instanceof VaultInvalidKeyError || err instanceof VaultInvalidConnectionError;
    if (refused) throw new InvalidRequestError(err.message);
    throw err;
  }
}
