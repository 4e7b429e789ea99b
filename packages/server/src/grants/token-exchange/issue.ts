/**
 * Issuance of an exchanged access token (RFC 8693 §2.2.1). The token is signed first; then one
 * transaction writes a derived grant
 * (parentGrantId = the subject token's grant — for our ID token, the grant it was issued with —,
 * subjectTokenJti = our subject token's jti, agentId = the actor) so that revoking anything
 * upstream — consent, user, agent, the subject token's grant, the subject token itself (RFC 7009)
 * — revokes this token too (CO-1); the RFC 9068 access token with the profile's identity claims;
 * the audit event (AU-2). An exchange of our ID token also rests on the consent that bounded it.
 * Just before writing, inside the transaction, the subject's consent, grant tree and token record
 * are re-checked (locked on PostgreSQL, in that order), so a revocation racing the signature never
 * misses the new grant.
 * The access token lives at most as long as its subject token. A refresh token is added only when
 * offline access was asked for and allowed (offline.ts); the grant then keeps the chain, profile
 * and authentication so that grants/refresh-token rebuilds the same token on refresh.
 */
import { InvalidRequestError, TokenTypeUri } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import type { AgentRecord, GrantDelegation } from '../../storage/records.ts';
import { agentClaims, checkAgentStillActive } from '../../agents/identity.ts';
import { ACCESS_TOKEN_TYP, accessTokenClaims, type AccessTokenInput } from '../../tokens/access-token.ts';
import { inTransaction } from '../shared/commit.ts';
import { checkClientStillRegistered } from '../shared/client-liveness.ts';
import { tokenResponseBody } from '../shared/issue.ts';
import { issueRefreshToken, type IssuedRefreshToken } from '../../tokens/refresh-token.ts';
import type { TokenRequest, TokenResponseBody } from '../types.ts';
import { profileClaims, type Chain, type Profile } from './act-chain.ts';
import { auditExchange } from './audit.ts';
import { sortableId, sortableJti } from '../../crypto/sortable-ids.ts';
import { requireSubjectStillLive, type SubjectToken } from './subject-token.ts';
import { offlineAccess } from './offline.ts';
import { requireLiveGrantTree } from '../shared/live-tree.ts';
import { requireLiveConsent, subjectConsentId } from './subject-consent.ts';

export interface ExchangeDecision {
  subject: SubjectToken;
  agent: AgentRecord | null;
  chain: Chain;
  profile: Profile;
  targets: string[];
  requestedScope: string | null;
  scope: string;
  narrowed: string[];
}

export async function issueExchangedAccessToken(req: TokenRequest, d: ExchangeDecision): Promise<TokenResponseBody> {
  const { ctx } = req;
  const now = ctx.now();
  // Never outlive the token it was exchanged for: revocation by expiry holds along the chain.
  const ttl = Math.min(ctx.config.tokenExchange.ttl, d.subject.expiresAt - now);
  if (ttl < 1) throw new InvalidRequestError('The subject_token has expired.');
  const { sub, ...identity } = profileClaims(d.chain, d.profile);
  const grantId = sortableId('grt');
  const jti = sortableJti();
  const input: AccessTokenInput = {
    subject: sub,
    clientId: req.client.clientId,
    userId: d.subject.userId,
    grantId,
    scope: d.scope,
    audience: d.targets,
    ...(d.subject.authTime !== null ? { authTime: d.subject.authTime } : {}),
    ...(d.subject.acr !== null ? { acr: d.subject.acr } : {}),
    amr: d.subject.amr,
    ...(req.dpop ? { cnfJkt: req.dpop.jkt } : {}), // RFC 9449 §5: bound when the requester proved a key
    // AU-2 attribution and EN-4 attestation of the acting agent, as every agent token carries them.
    extraClaims: { ...identity, ...(d.agent ? agentClaims(d.agent) : {}) },
  };
  const consentId = subjectConsentId(d.subject, d.scope);
  const offline = await offlineAccess(ctx, req.client, d.subject, d.requestedScope, d.narrowed);
  // Signed before the transaction, so signatures run concurrently while the writes stay serialized;
  // a token whose records then fail to commit is never returned and never recorded, so never live.
  const token = await ctx.keys.sign(accessTokenClaims(input, { iss: ctx.config.issuer, jti, iat: now, exp: now + ttl, audience: d.targets }), { typ: ACCESS_TOKEN_TYP });
  return inTransaction(ctx, async (txCtx) => {
    // CO-1: a deletion of the requesting client committed while signing would miss the grant written below (lock order: client, agent, grants).
    await checkClientStillRegistered(txCtx, req.client);
    await checkAgentStillActive(txCtx, d.agent);
    // CO-1: the subject's consent and grant tree were checked before signing; a revocation may
    // have committed since, and its walk would miss the child written below (live-tree.ts).
    // PostgreSQL lock order: consent, then grants, then the subject token — consent revocation's
    // (the consent updated, then its grants locked: the ID token's grant rests on that consent
    // too) and authorize/complete.ts's. The grants before the consent would deadlock with it.
    await requireLiveConsent(txCtx, consentId);
    if (d.subject.grantId !== null) await requireLiveGrantTree(txCtx, d.subject.grantId, (detail) => new InvalidRequestError('The grant behind the subject_token has been revoked.', { detail }));
    await requireSubjectStillLive(txCtx, d.subject); // RFC 7009 of the subject token itself (after the grants: the lock order)
    await txCtx.storage.grants.create({
      id: grantId,
      userId: d.subject.userId,
      clientId: req.client.clientId,
      agentId: d.agent?.id ?? null,
      parentGrantId: d.subject.grantId,
      scope: d.scope,
      resources: d.targets,
      authorizationDetails: null,
      consentId, // our ID token as subject: the consent its scope bound came from (subject-consent.ts)
      subjectTokenJti: d.subject.jti, // CO-1: revoking that token (RFC 7009) revokes this grant's tree
      createdAt: now,
      revokedAt: null,
      revokedReason: null,
      delegation: delegationOf(d),
    });
    await txCtx.storage.accessTokens.create({ jti, grantId, clientId: req.client.clientId, userId: d.subject.userId, scope: d.scope, expiresAt: now + ttl, createdAt: now, revokedAt: null });
    const access = { token, jti, expiresIn: ttl };
    const refresh = offline.refresh ? await issueExchangeRefreshToken(txCtx, req, d, grantId, offline.familyStartedAt) : null;
    await auditExchange(txCtx.audit, req, {
      userId: d.subject.userId,
      agentId: d.agent?.id ?? null,
      requestedScope: d.requestedScope,
      grantedScope: d.scope,
      targets: d.targets,
      chain: d.chain,
      profile: d.profile,
      narrowed: offline.narrowed,
      data: {
        jti: access.jti,
        grant_id: grantId,
        parent_grant_id: d.subject.grantId,
        subject_jti: d.subject.jti,
        subject_token_type: d.subject.type,
        ...d.subject.origin, // another issuer's token: subject_iss, subject_sub, subject_origin_jti
        issued_token_type: TokenTypeUri.AccessToken,
        ...(refresh ? { refresh_token_id: refresh.record.id } : {}),
      },
    });
    // §2.2.1: issued_token_type is REQUIRED; refresh_token is OPTIONAL.
    const body = { ...tokenResponseBody(req, access, { scope: d.scope, authorizationDetails: null }), issued_token_type: TokenTypeUri.AccessToken };
    return refresh ? { ...body, refresh_token: refresh.token } : body;
    // Signed before; every write goes through txCtx: a PostgreSQL deadlock victim may re-run (commit.ts).
  }, { retryOnDeadlock: true });
}

/** What grants/refresh-token needs to rebuild this token: stored on every exchanged grant. */
function delegationOf(d: ExchangeDecision): GrantDelegation {
  return { chain: d.chain, profile: d.profile, authTime: d.subject.authTime, acr: d.subject.acr, amr: d.subject.amr };
}

/**
 * The refresh token of an exchanged grant: the grant's scope and targets, the subject's
 * authentication. RFC 9449 §5: a token exchanged with a DPoP proof is sender-constrained, so its
 * refresh token is bound to that key whatever the client type — a refresh must not turn a
 * DPoP-bound delegation into a bearer one.
 */
function issueExchangeRefreshToken(txCtx: ServerContext, req: TokenRequest, d: ExchangeDecision, grantId: string, familyStartedAt: number): Promise<IssuedRefreshToken> {
  return issueRefreshToken(txCtx, {
    familyStartedAt, // the root user grant's: capped at its absolute end (refresh-token/family-lifetime.ts)
    grantId,
    clientId: req.client.clientId,
    userId: d.subject.userId,
    scope: d.scope,
    resources: d.targets,
    authorizationDetails: null,
    dpopJkt: req.dpop?.jkt ?? null,
    authTime: d.subject.authTime,
    acr: d.subject.acr,
    amr: d.subject.amr,
    nonce: null,
  });
}
