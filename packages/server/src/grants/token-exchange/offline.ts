/**
 * Whether an exchange also returns a refresh token (RFC 8693 §2.2.1: "OPTIONAL"). A refresh token
 * lets the derived grant outlive the subject token it was exchanged for, so it is never implied;
 * all of these must hold (README "Grant tree, lifetime, refresh"):
 *   1. the request's `scope` lists `offline_access` (OIDC Core §11: offline access is asked for,
 *      per exchange — the scope itself never reaches the exchanged token);
 *   2. the requesting client is registered for the `refresh_token` grant (RFC 7591 grant_types);
 *   3. the subject token is a user's access token resting on a grant, so every refresh can
 *      re-check that grant and everything above it (an ID token or a service token has none);
 *   4. the root of that grant tree is offline itself: its client is registered for
 *      `refresh_token` (authorization-code/issue.ts: the registration decides). A user who gave a
 *      client short-lived access only does not, through an agent, hand out long-lived access.
 * Otherwise the exchange succeeds without a refresh token, and the audit says why.
 */
import { GrantType, isOAuthError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import type { ClientRecord } from '../../storage/records.ts';
import { parseRequestedScope } from '../../checks/scope.ts';
import { isBroken, liveAncestors } from './grant-tree.ts';
import type { SubjectToken } from './subject-token.ts';

export const OFFLINE_ACCESS = 'offline_access';

export type OfflineDecision = { refresh: true } | { refresh: false; reason: string | null };

export async function offlineAccess(ctx: ServerContext, client: ClientRecord, subject: SubjectToken, requestedScope: string | null): Promise<OfflineDecision> {
  if (requestedScope === null || !parseRequestedScope(requestedScope).has(OFFLINE_ACCESS)) return { refresh: false, reason: null };
  if (!client.grantTypes.includes(GrantType.RefreshToken)) return refused('the client is not registered for the refresh_token grant');
  if (subject.userId === null || subject.grantId === null) return refused('the subject token rests on no user grant');
  const ancestors = await liveAncestors(ctx, subject.grantId);
  if (isBroken(ancestors)) return refused(ancestors.broken);
  const root = ancestors[ancestors.length - 1];
  if (!root || !(await registeredForRefresh(ctx, root.clientId))) return refused('the user grant at the root of the chain has no offline access');
  return { refresh: true };
}

function refused(why: string): OfflineDecision {
  return { refresh: false, reason: `${OFFLINE_ACCESS}: no refresh token, ${why}` };
}

async function registeredForRefresh(ctx: ServerContext, clientId: string): Promise<boolean> {
  try {
    return (await ctx.clients.get(clientId))?.grantTypes.includes(GrantType.RefreshToken) ?? false;
  } catch (err) {
    if (isOAuthError(err)) return false; // a client metadata document that can no longer be used
    throw err;
  }
}
