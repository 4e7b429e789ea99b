/**
 * Workload identity federation at the jwt-bearer grant (CL-8, RFC 7523 §2.1): a JWT from a
 * configured external issuer, mapped by rule to an agent or a service client, buys a short-lived
 * access token for that identity. No secret of ours is stored anywhere; no refresh token is
 * issued (the workload asks its platform for a fresh JWT instead).
 */
import type { TokenRequest, TokenResponseBody } from '../types.ts';
import { scopeTokens } from '../../checks/scope.ts';
import type { WorkloadIssuer } from '../../federation/schema.ts';
import { endpointUrl, Paths } from '../../endpoints/paths.ts';
import { issueAccessToken } from '../../tokens/access-token.ts';
import { inTransaction } from '../shared/commit.ts';
import { auditIssuance, TokenAuditEvent } from '../shared/audit.ts';
import { tokenResponseBody } from '../shared/issue.ts';
import type { UnverifiedAssertion } from './assertion.ts';
import { checkAssertionAlg } from './alg.ts';
import { verifyAssertion } from './verify.ts';
import { checkAssertionLifetime } from './lifetime.ts';
import { checkAssertionReplay } from './replay.ts';
import { matchWorkloadRule } from './workload-rule.ts';
import { workloadIdentity, type WorkloadIdentity } from './workload-identity.ts';
import { workloadResources } from './workload-target.ts';
import { assertionScope, requestedScope } from './scope.ts';
import { identityClaims } from './agent-claims.ts';

/** Scopes that need a user: a workload acts for itself. */
const USER_ONLY_SCOPES = new Set(['openid', 'offline_access']);

export async function workloadGrant(req: TokenRequest, assertion: UnverifiedAssertion, issuer: WorkloadIssuer): Promise<TokenResponseBody> {
  const { ctx, params, client } = req;
  checkAssertionAlg(assertion.header, issuer.algorithms); // RFC 8725 §3.1: asymmetric only
  const payload = await verifyAssertion(ctx, assertion.jwt, {
    source: issuer,
    algorithms: issuer.algorithms,
    audience: issuer.audience.length > 0 ? issuer.audience : [ctx.config.issuer, endpointUrl(ctx.config.issuer, Paths.token)], // RFC 7523 §3 (3)
    requiredClaims: [],
  }); // RFC 7523 §3 (1)-(5), (9)
  checkAssertionLifetime(payload, ctx.now(), issuer.maxLifetime); // RFC 7523 §3 (4), (6)
  const rule = matchWorkloadRule(issuer, payload); // CL-8: mapped by rule, or refused
  const identity = await workloadIdentity(ctx, rule, client); // ID-2 / ID-3: active, and this client's
  const asked = requestedScope(params.get('scope'));
  const scope = assertionScope(asked, allowedScopes(identity, ctx.config.scopesSupported), ctx.config); // requested ∩ allowed
  const resources = workloadResources(params.getAll('resource'), identity, ctx.config); // RFC 8707 §2
  await checkAssertionReplay(ctx, 'jwt_bearer', payload); // RFC 7523 §3 (7)

  return inTransaction(ctx, async (txCtx) => {
    const access = await issueAccessToken(txCtx, {
      subject: identity.kind === 'agent' ? identity.agent.id : client.clientId,
      clientId: client.clientId,
      userId: null,
      grantId: null,
      scope,
      audience: resources,
      ttl: ctx.config.ttl.clientCredentials, // ID-3: short-lived
      ...(req.dpop ? { cnfJkt: req.dpop.jkt } : {}),
      extraClaims: identityClaims(identity),
    });
    await auditIssuance(txCtx.audit, req, {
      event: TokenAuditEvent.Issued,
      userId: null,
      requestedScope: params.get('scope') ?? null,
      grantedScope: scope,
      resources,
      data: {
        jti: access.jti,
        assertion_profile: 'workload',
        assertion_iss: payload.iss,
        assertion_sub: payload.sub,
        assertion_jti: payload.jti,
        ...(identity.kind === 'agent' ? { agent_id: identity.agent.id } : {}),
      },
    });
    return tokenResponseBody(req, access, { scope, authorizationDetails: null });
  });
}

function allowedScopes(identity: WorkloadIdentity, supported: string[]): string[] {
  const list = identity.kind === 'agent' ? identity.agent.allowedScopes : scopeTokens(identity.client.scope);
  // A service client registered without a scope may have any configured scope (clients/metadata.ts).
  const base = identity.kind === 'client' && list.length === 0 ? supported : list;
  return base.filter((s) => !USER_ONLY_SCOPES.has(s));
}
