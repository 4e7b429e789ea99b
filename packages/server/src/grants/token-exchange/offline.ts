/**
 * `offline_access` in a token exchange, decided here only. The rule, and why:
 *
 * - It is never a scope of the exchanged token. OIDC Core §11: `offline_access` asks for a refresh
 *   token; it grants no access a resource server could check. Asking for it asks for a refresh
 *   token, per exchange: the subject token need not carry it, and a subject token that carries it
 *   implies nothing (offline access is asked for, never inherited). Dropped silently when `scope`
 *   was omitted, with a note when it was asked for.
 * - A refresh token comes with the exchanged token (RFC 8693 §2.2.1: `refresh_token` OPTIONAL)
 *   only when all of these hold, because it lets the derived grant outlive its subject token
 *   (README "Grant tree, lifetime, refresh"):
 *     1. the request's `scope` lists `offline_access`;
 *     2. the requesting client is registered for the `refresh_token` grant (RFC 7591 grant_types);
 *     3. the subject token is a user's access token resting on a grant, so every refresh can
 *        re-check that grant and everything above it (a service token has none; our ID token has
 *        one since migration 0016, but is a proof of login, not of access: still no refresh);
 *     4. the root of that grant tree is offline itself: its client is registered for
 *        `refresh_token` — the rule of authorization-code/issue.ts, where the registration decides.
 *        A user who gave a client short-lived access only does not, through an agent, hand out
 *        long-lived access.
 *   Otherwise the exchange succeeds without a refresh token, and the audit says why instead of the
 *   scope-time note. (client_credentials refuses `offline_access` and jwt-bearer drops it: neither
 *   has a user grant to refresh.)
 *
 * The scope is settled before issuance (an exchange asking for `offline_access` alone is
 * invalid_scope, whatever the refresh decision), and the refresh decision needs storage; so the
 * rule has two entry points, one per moment: `withoutOfflineAccess` (scope.ts) and
 * `offlineAccess` (issue.ts).
 */
import { GrantType, isOAuthError, TokenTypeUri } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import type { ClientRecord } from '../../storage/records.ts';
import { refreshFamilyEnd } from '../../tokens/refresh-token.ts';
import { parseRequestedScope } from '../../checks/scope.ts';
import { isBroken, liveAncestors } from './grant-tree.ts';
import type { ScopeDecision } from './scope.ts';
import type { SubjectToken } from './subject-token.ts';

const OFFLINE_ACCESS = 'offline_access';

/** Every narrowing note about offline_access, from intersectBounds or from here, starts so (the space: not a scope named `offline_access:x`). */
const OFFLINE_NOTE_PREFIX = `${OFFLINE_ACCESS}:`;
const OFFLINE_NOTE_MATCH = `${OFFLINE_NOTE_PREFIX} `;

/** Scope time: offline_access leaves the granted scope; a note when it was asked for. */
export function withoutOfflineAccess(decision: ScopeDecision, requested: ReadonlySet<string> | null): ScopeDecision {
  if (!decision.granted.has(OFFLINE_ACCESS)) return decision;
  const granted = new Set([...decision.granted].filter((s) => s !== OFFLINE_ACCESS));
  if (requested === null) return { granted, narrowed: decision.narrowed };
  return { granted, narrowed: [...decision.narrowed, `${OFFLINE_NOTE_PREFIX} exchanged tokens come without refresh tokens`] };
}

/**
 * Whether a refresh token comes with the exchanged token. Only when it does is there a family:
 * when it began, the creation of the user grant at the root of the tree
 * (refresh-token/family-lifetime.ts), since an exchange never restarts the absolute lifetime.
 * `narrowed`: the scope-time notes for the audit, their offline_access ones replaced by the outcome.
 */
export type OfflineDecision = { refresh: true; familyStartedAt: number; narrowed: string[] } | { refresh: false; narrowed: string[] };

/** Issuance time: whether a refresh token comes with the exchanged token (conditions 1–4 above). */
export async function offlineAccess(ctx: ServerContext, client: ClientRecord, subject: SubjectToken, requestedScope: string | null, narrowed: string[]): Promise<OfflineDecision> {
  if (requestedScope === null || !parseRequestedScope(requestedScope).has(OFFLINE_ACCESS)) return { refresh: false, narrowed };
  const family = await offlineFamily(ctx, client, subject);
  // Honoured, the scope-time note ("not allowed by …", "come without refresh tokens") is wrong;
  // refused, the audit says why instead.
  const others = narrowed.filter((n) => !n.startsWith(OFFLINE_NOTE_MATCH));
  if (typeof family !== 'string') return { refresh: true, familyStartedAt: family.familyStartedAt, narrowed: others };
  return { refresh: false, narrowed: [...others, `${OFFLINE_NOTE_PREFIX} no refresh token, ${family}`] };
}

/** Conditions 2–4: when the family of the grant about to be written began, when they all hold; else why not. */
async function offlineFamily(ctx: ServerContext, client: ClientRecord, subject: SubjectToken): Promise<{ familyStartedAt: number } | string> {
  if (!client.grantTypes.includes(GrantType.RefreshToken)) return 'the client is not registered for the refresh_token grant';
  if (subject.userId === null || subject.grantId === null) return 'the subject token rests on no user grant';
  // Our ID token rests on a grant too (CO-1), but proves a login for minutes (ttl.idToken): it is
  // no grant of access to stretch into a refresh family (condition 3: an access token).
  if (subject.type !== TokenTypeUri.AccessToken) return 'the subject token is not an access token';
  const ancestors = await liveAncestors(ctx, subject.grantId);
  if (isBroken(ancestors)) return ancestors.broken;
  const root = ancestors[ancestors.length - 1];
  if (!root || !(await registeredForRefresh(ctx, root.clientId))) return 'the user grant at the root of the chain has no offline access';
  // The exchanged grant's ancestors are the subject grant's tree: its family is theirs, never a new one.
  const familyStartedAt = root.createdAt;
  // Its family has ended: a refresh token issued now could never be used (family-lifetime.ts).
  if (ctx.now() >= refreshFamilyEnd(ctx.config, familyStartedAt)) return 'the user grant at the root of the chain has reached its maximum lifetime';
  return { familyStartedAt };
}

async function registeredForRefresh(ctx: ServerContext, clientId: string): Promise<boolean> {
  try {
    return (await ctx.clients.get(clientId))?.grantTypes.includes(GrantType.RefreshToken) ?? false;
  } catch (err) {
    if (isOAuthError(err)) return false; // a client metadata document that can no longer be used
    throw err;
  }
}
