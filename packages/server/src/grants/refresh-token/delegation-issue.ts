/**
 * Issuance for a refreshed exchanged grant: the access token rebuilt from the grant's chain and
 * profile exactly as token-exchange/issue.ts builds it, the rotated refresh token, and the audit
 * event with the whole chain (AU-2) — one transaction, with the refresh token's rotation.
 */
import { InvalidGrantError } from '@mandate/protocol';
import { agentClaims, checkAgentStillActive } from '../../agents/identity.ts';
import type { RefreshTokenRecord } from '../../storage/records.ts';
import { signAccessToken } from '../../tokens/access-token.ts';
import { issueRefreshToken, successorOf } from '../../tokens/refresh-token.ts';
import { refreshTokenJkt } from '../shared/dpop.ts';
import { tokenResponseBody } from '../shared/issue.ts';
import { nestActors, profileClaims } from '../token-exchange/act-chain.ts';
import type { TokenRequest, TokenResponseBody } from '../types.ts';
import type { DelegatedRefresh } from './delegation.ts';
import { auditRefreshed, withRotation } from './rotate.ts';

export async function issueDelegatedTokens(req: TokenRequest, record: RefreshTokenRecord, r: DelegatedRefresh): Promise<TokenResponseBody> {
  const { ctx } = req;
  const { grant, delegation: d, agent, narrowed } = r;
  const { sub, ...identity } = profileClaims(d.chain, d.profile);
  // Signed outside the transaction (as every grant does); a token whose records fail to commit is never live.
  const access = await signAccessToken(ctx, {
    subject: sub,
    clientId: req.client.clientId,
    userId: grant.userId,
    grantId: grant.id,
    scope: narrowed.scope,
    audience: narrowed.resources,
    ...(d.authTime !== null ? { authTime: d.authTime } : {}),
    ...(d.acr !== null ? { acr: d.acr } : {}),
    amr: d.amr,
    ...(req.dpop ? { cnfJkt: req.dpop.jkt } : {}), // RFC 9449 §5
    // No subject token bounds a refreshed token any more: the exchange's own lifetime does.
    ttl: ctx.config.tokenExchange.ttl,
    extraClaims: { ...identity, ...(agent ? agentClaims(agent) : {}) },
  });
  return withRotation(
    req,
    record,
    async (txCtx) => {
      await txCtx.storage.accessTokens.create(access.record);
      // A DPoP-bound exchange's refresh token stays bound to its key; otherwise the usual rule (public clients).
      const successor = await issueRefreshToken(txCtx, successorOf(record, record.dpopJkt ?? refreshTokenJkt(req.client, req.dpop), r.familyStartedAt));
      await auditRefreshed(txCtx, req, record, narrowed, {
        grant_id: grant.id,
        parent_grant_id: grant.parentGrantId,
        jti: access.jti,
        previous_refresh_token_id: record.id,
        refresh_token_id: successor.record.id,
        // AU-2: the chain, as token_exchanged records it.
        profile: d.profile,
        principal: d.chain.principal,
        act: nestActors(d.chain.actors) ?? null,
        actors: d.chain.actors.map((a) => a.sub),
        agent_id: agent?.id ?? null,
        ...(r.dropped.length > 0 ? { scope_dropped: r.dropped.map((s) => `${s}: no longer in the agent's allowed scopes`) } : {}),
      });
      const body = tokenResponseBody(req, access, { scope: narrowed.scope, authorizationDetails: null });
      body.refresh_token = successor.token;
      return body;
    },
    // ID-2, as the exchange re-reads it: first, so the agent row is locked before the grants (rotate.ts).
    (txCtx) => checkAgentStillActive(txCtx, agent, InvalidGrantError),
  );
}

