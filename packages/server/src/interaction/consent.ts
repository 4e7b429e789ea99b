/**
 * Remembered consent (AS-8, CO-1): one record per user + client + scopes + resources (+ RAR
 * details). A later request is covered when a live consent of the same user and client includes
 * every scope, every resource and every authorization detail it asks for; anything new shows the
 * consent page again. Users list and revoke consents through the admin API.
 */
import { parseScope } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { randomId } from '../crypto/hash.ts';
import { isDetailsSubset } from '../checks/authorization-details.ts';
import type { ConsentRecord } from '../storage/records.ts';
import type { AuthorizationRequest } from '../endpoints/authorize/request.ts';

function covers(consent: ConsentRecord, request: AuthorizationRequest): boolean {
  const granted = parseScope(consent.scope) ?? new Set<string>();
  const requested = parseScope(request.scope) ?? new Set<string>();
  for (const s of requested) if (!granted.has(s)) return false;
  if (!request.resources.every((r) => consent.resources.includes(r))) return false;
  if (request.authorizationDetails !== null) {
    if (consent.authorizationDetails === null || !isDetailsSubset(request.authorizationDetails, consent.authorizationDetails)) return false;
  }
  return true;
}

export async function findCoveringConsent(ctx: ServerContext, userId: string, request: AuthorizationRequest): Promise<ConsentRecord | null> {
  const consents = await ctx.storage.consents.listForUser(userId, { clientId: request.clientId });
  return consents.find((c) => c.revokedAt === null && c.clientId === request.clientId && covers(c, request)) ?? null;
}

export async function recordConsent(ctx: ServerContext, userId: string, request: AuthorizationRequest): Promise<ConsentRecord> {
  const record: ConsentRecord = {
    id: randomId('cns'),
    userId,
    clientId: request.clientId,
    scope: request.scope,
    resources: request.resources,
    authorizationDetails: request.authorizationDetails,
    createdAt: ctx.now(),
    revokedAt: null,
  };
  await ctx.storage.consents.create(record);
  return record;
}
