/**
 * Release of a vault credential through token exchange (issue 5, VA-2; RFC 8693). Reached from
 * index.ts after the subject token (liveness, DPoP binding), the actor and `may_act` checks, when
 * the target is `urn:mandate:vault:<connection>` (vault-policy.ts says why that form).
 *
 * The response is the provider's credential itself, never a Mandate token and never the refresh
 * token (RFC 8693 §2.2.1: `refresh_token` is optional; the long-lived state stays sealed in the
 * vault). No grant is created: the vault entry is the grant, and unlinking or deprovisioning
 * marks it revoked, which stops every later release.
 *
 * - OAuth connection: `access_token` = the provider's access token (refreshed first when near
 *   expiry, one refresh per entry), `issued_token_type` access_token, `token_type` Bearer,
 *   `expires_in` = the provider's remaining lifetime (omitted when the provider gave none:
 *   §2.2.1 makes it RECOMMENDED, and inventing one would mislead).
 * - Static key: `issued_token_type` `urn:mandate:token-type:api-key`, `token_type` `N_A` (§2.2.1:
 *   "the issued token is not an access token" usable as an RFC 6750 Bearer token — it is presented
 *   however the provider's API wants), no `expires_in`.
 *
 * Refusals about the user's linked account are `invalid_grant` (RFC 6749 §5.2): the underlying
 * authorization — the link at the provider — is missing, revoked or no longer refreshable; the
 * remedy is the user linking again, which the caller can tell from `invalid_target` (policy).
 */
import { InvalidGrantError, InvalidRequestError, InvalidScopeError, InvalidTargetError, ServerErrorError, TemporarilyUnavailableError, TokenTypeUri } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import { scopeTokens } from '../../checks/scope.ts';
import type { AgentRecord } from '../../storage/records.ts';
import type { TokenRequest, TokenResponseBody } from '../types.ts';
import { VaultConflictError, VaultEntryUnusableError, VaultError, VaultNotFoundError, VaultProviderError } from '../../vault/errors.ts';
import type { ExchangeRequest } from './request.ts';
import { requireRecordedSubject, type SubjectToken } from './subject-token.ts';
import { truncate } from './request.ts';
import { checkReleasePolicy, releaseAgents, vaultAudience } from './vault-policy.ts';
import { checkAgentStillActive } from '../../agents/identity.ts';
import { inTransaction } from '../shared/commit.ts';
import { requireLiveGrantTree } from '../shared/live-tree.ts';

export const VAULT_RELEASED_EVENT = 'vault_released';
export const API_KEY_TOKEN_TYPE = 'urn:mandate:token-type:api-key';

interface Credential {
  kind: 'oauth' | 'static';
  value: string;
  expiresAt: number | null;
  scope: string | null;
}

export async function releaseFromVault(req: TokenRequest, request: ExchangeRequest, subject: SubjectToken, agent: AgentRecord | null, connectionId: string): Promise<TokenResponseBody> {
  const { ctx, client } = req;
  if (request.requestedTokenType !== TokenTypeUri.AccessToken) throw new InvalidRequestError('A vault credential is requested as requested_token_type urn:ietf:params:oauth:token-type:access_token.');
  checkReleasePolicy(ctx.config, connectionId, client, agent, subject);
  const connection = await ctx.storage.vault.connections.get(connectionId);
  if (!connection) throw new InvalidTargetError(`The vault connection '${truncate(connectionId)}' does not exist.`);
  const userId = subject.userId!; // checkReleasePolicy: a user's access token
  const credential = await obtain(ctx, userId, connectionId, connection.kind);
  checkRequestedScope(request.requestedScope, credential);
  const now = ctx.now();
  const expiresIn = credential.expiresAt === null ? null : Math.max(0, credential.expiresAt - now);
  // Audited before the credential leaves: a release that cannot be recorded does not happen (AU-1).
  // The liveness checks run again first, in the same transaction (requireStillLive).
  await inTransaction(ctx, async (txCtx) => {
    await requireStillLive(txCtx, subject, agent, userId);
    await txCtx.audit.record({
      event: VAULT_RELEASED_EVENT,
      userId,
      clientId: client.clientId,
      agentId: agent?.id ?? subject.chain.actors[0]?.sub ?? null,
      requestedScope: request.requestedScope === null ? null : truncate(request.requestedScope, 500),
      grantedScope: credential.scope,
      resource: vaultAudience(connectionId),
      ip: req.ip,
      result: 'success',
      reason: null,
      data: {
        grant_type: req.grantType,
        connection: connectionId,
        credential_kind: credential.kind,
        principal: subject.chain.principal,
        actors: releaseAgents(subject, agent),
        subject_jti: subject.jti,
        expires_at: credential.expiresAt,
        ...(req.dpop ? { dpop_jkt: req.dpop.jkt } : {}),
      },
    });
  }, { retryOnDeadlock: true });
  if (credential.kind === 'static') {
    // No expires_in: an API key lives until the user or an admin replaces it.
    return { access_token: credential.value, issued_token_type: API_KEY_TOKEN_TYPE, token_type: 'N_A' } as TokenResponseBody;
  }
  const body: Omit<TokenResponseBody, 'expires_in'> & { expires_in?: number } = {
    access_token: credential.value,
    issued_token_type: TokenTypeUri.AccessToken,
    token_type: 'Bearer',
    ...(expiresIn === null ? {} : { expires_in: expiresIn }),
    ...(credential.scope ? { scope: credential.scope } : {}),
  };
  return body as TokenResponseBody;
}

/**
 * obtain() may have waited on the provider for many seconds (a refresh, or another instance's
 * refresh lease): a revocation, suspension or disabling that committed meanwhile wins, as in an
 * ordinary exchange's issuing transaction (issue.ts), and with its refusal (RFC 8693 §2.2.2:
 * invalid_request). The rows are read for share on PostgreSQL until the release's audit commits.
 */
async function requireStillLive(txCtx: ServerContext, subject: SubjectToken, agent: AgentRecord | null, userId: string): Promise<void> {
  // PostgreSQL lock order of every writer (account/deprovision.ts, docs/storage-schema.md): the user
  // rows first, then the agent, the grants, the token row.
  for (const id of new Set([userId, ...(agent ? [agent.ownerUserId] : [])])) {
    const user = await txCtx.storage.users.getForShare(id);
    if (!user || user.disabled) throw new InvalidRequestError(id === userId ? 'The user of the subject_token is disabled.' : "The agent's owner is disabled.");
  }
  await checkAgentStillActive(txCtx, agent);
  if (subject.jti !== null) await requireRecordedSubject(txCtx, subject.jti);
  if (subject.grantId !== null) await requireLiveGrantTree(txCtx, subject.grantId, (detail) => new InvalidRequestError('The grant behind the subject_token has been revoked.', { detail }));
}

async function obtain(ctx: ServerContext, userId: string, connectionId: string, kind: 'oauth' | 'static'): Promise<Credential> {
  try {
    if (kind === 'static') return { kind, value: await ctx.vault.staticKey(userId, connectionId), expiresAt: null, scope: null };
    const t = await ctx.vault.accessToken(userId, connectionId);
    return { kind, value: t.accessToken, expiresAt: t.expiresAt, scope: t.scope };
  } catch (err) {
    throw releaseError(ctx, err, connectionId);
  }
}

/** Vault errors as RFC 6749 §5.2 errors; the vault's messages name no secret, ours name no entry internals. */
function releaseError(ctx: ServerContext, err: unknown, connectionId: string): unknown {
  if (!(err instanceof VaultError)) return err;
  const name = truncate(connectionId);
  if (err instanceof VaultNotFoundError) return new InvalidGrantError(`The user has no linked account at the vault connection '${name}': they must link it first.`);
  if (err instanceof VaultEntryUnusableError) {
    if (err.status !== 'refresh_failed') return new InvalidGrantError(`The linked account at '${name}' has been unlinked or revoked.`);
    // Why it cannot be renewed, as the account page says it (account/vault-status.ts): no refresh token, or a refused refresh.
    const why = err.reason === 'no_refresh_token' ? 'its access expired and the provider gave no way to renew it' : 'the provider refused to refresh it';
    return new InvalidGrantError(`The linked account at '${name}' needs to be linked again: ${why}.`);
  }
  // An outage at the provider, or a refresh held by another instance for too long: retry later.
  if (err instanceof VaultProviderError || err instanceof VaultConflictError) return new TemporarilyUnavailableError(`The provider of '${name}' could not be reached to refresh the credential; try again later.`);
  // Undecryptable entry or an unknown key-encryption key: a server fault; the code is enough to diagnose it.
  ctx.logger.error({ code: err.code, connection: connectionId }, 'vault release failed');
  return new ServerErrorError('The credential could not be released.');
}

/**
 * The provider fixed the token's scope when the account was linked; a caller may state the scope
 * it needs (and is refused when the token lacks it) but can never widen it.
 */
function checkRequestedScope(requested: string | null, credential: Credential): void {
  if (requested === null || requested.trim() === '') return;
  const granted = new Set(scopeTokens(credential.scope));
  const missing = scopeTokens(requested).filter((s) => !granted.has(s));
  if (missing.length > 0) throw new InvalidScopeError(`The linked account's credential does not carry: ${truncate(missing.join(' '))}.`);
}
