/**
 * Admin API: a user's key at a static-key vault connection (issue 5, VA-2), for keys the
 * organisation issues rather than the user (a per-person key from the provider's admin console).
 * Users set their own on /account/vault (account/vault-routes.ts); both write the same entry, so
 * either may replace or remove what the other stored. The key is write-only: sealed on arrival,
 * never returned, and the audit event (`admin.putVaultStaticKey`) records only who, which
 * connection and whether a key was replaced. Not transactional: ctx.vault writes one row
 * through the server's storage, like the other vault routes.
 */
import { z } from 'zod';
import { InvalidRequestError, NotFoundError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { MAX_STATIC_KEY_LENGTH } from '../vault/errors.ts';
import { defineRoute } from './route.ts';
import { ConnectionId, entryView, EntryViewSchema, mapped } from './vault-schemas.ts';

const KeyParams = z.object({ connectionId: ConnectionId, userId: z.string().min(1).max(200) });

const KeyBody = z.object({
  api_key: z.string().min(1).max(MAX_STATIC_KEY_LENGTH).describe('Write-only: stored sealed, never returned. No control characters, no surrounding spaces.'),
});

/** Only static-key connections hold keys; an OAuth connection's entries come from the user's own link. */
async function staticConnection(ctx: ServerContext, id: string): Promise<void> {
  const c = await ctx.vault.getConnection(id);
  if (!c || c.kind !== 'static') throw new NotFoundError(`No static-key vault connection ${id}.`);
}

export const vaultStaticKeyRoutes = [
  defineRoute({
    method: 'put',
    path: '/vault/connections/:connectionId/static-keys/:userId',
    operationId: 'putVaultStaticKey',
    summary: "Store or replace a user's API key at a static-key connection (released only through token exchange).",
    tag: 'vault',
    params: KeyParams,
    body: KeyBody,
    success: { status: 200, description: 'The entry (never the key); `replaced` when a key was already stored.', schema: EntryViewSchema.extend({ replaced: z.boolean() }) },
    errors: [404],
    transactional: false, // ctx.vault writes through the server's storage: one row
    async handle({ ctx, params, body, auditData }) {
      await staticConnection(ctx, params.connectionId);
      const user = await ctx.storage.users.get(params.userId);
      if (!user) throw new NotFoundError(`No user ${params.userId}.`);
      // A disabled user's entries were revoked on purpose (ID-2); a new key would be releasable again on reactivation without anyone noticing.
      if (user.disabled) throw new InvalidRequestError(`User ${params.userId} is disabled.`);
      const stored = await mapped(() => ctx.vault.storeStaticKey(params.userId, params.connectionId, body.api_key));
      auditData.replaced = stored.replaced;
      return { ...entryView(stored), replaced: stored.replaced };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/vault/connections/:connectionId/static-keys/:userId',
    operationId: 'deleteVaultStaticKey',
    summary: "Remove a user's API key at a static-key connection: it is released to no one from then on.",
    tag: 'vault',
    params: KeyParams,
    success: { status: 204, description: 'Removed.' },
    errors: [404],
    transactional: false,
    async handle({ ctx, params }) {
      await staticConnection(ctx, params.connectionId);
      await mapped(() => ctx.vault.unlink(params.userId, params.connectionId));
      return null;
    },
  }),
];
