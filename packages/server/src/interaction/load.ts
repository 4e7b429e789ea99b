/**
 * Loading a pending interaction for a page or a form post. Order matters: the browser binding is
 * checked before anything is looked up, so a foreign browser learns nothing about the id.
 */
import type { Context } from 'hono';
import { isOAuthError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import type { ClientRecord, InteractionRecord } from '../storage/records.ts';
import { parseStoredRequest, type AuthorizationRequest } from '../endpoints/authorize/request.ts';
import { isBoundToBrowser } from './binding.ts';
import { InteractionPageError, expiredInteraction } from './errors.ts';

export interface LoadedInteraction {
  record: InteractionRecord;
  request: AuthorizationRequest;
  client: ClientRecord;
}

export async function loadInteraction(c: Context, ctx: ServerContext, id: string): Promise<LoadedInteraction> {
  if (!isBoundToBrowser(c, ctx, id)) {
    throw new InteractionPageError(
      403,
      'This sign-in request belongs to another browser',
      'This sign-in link was not started in this browser. For your safety it cannot be used here; start again from the application.',
    );
  }
  const record = await ctx.storage.interactions.get(id);
  if (!record || record.consumedAt !== null || record.expiresAt <= ctx.now()) throw expiredInteraction();
  const request = parseStoredRequest(record.params);
  if (!request) throw expiredInteraction();
  let client: ClientRecord | null;
  try {
    client = await ctx.clients.get(record.clientId);
  } catch (err) {
    if (!isOAuthError(err)) throw err;
    client = null;
  }
  if (!client) throw new InteractionPageError(400, 'The application is not available', 'The application that started this sign-in is no longer registered.');
  return { record, request, client };
}
