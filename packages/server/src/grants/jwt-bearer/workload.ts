/**
 * Workload identity federation at the jwt-bearer grant (CL-8, RFC 7523 §2.1): a JWT from a
 * configured external issuer, mapped by rule to an agent or a service client, buys a short-lived
 * access token for that identity. No secret of ours is stored anywhere; no refresh token is
 * issued (the workload asks its platform for a fresh JWT instead).
 */
import { InvalidGrantError } from '@mandate/protocol';
import type { TokenRequest, TokenResponseBody } from '../types.ts';
import type { WorkloadIssuer } from '../../federation/schema.ts';
import { endpointUrl, Paths } from '../../endpoints/paths.ts';
import { signAccessToken } from '../../tokens/access-token.ts';
import { clientTokenTtl } from '../../clients/service-identity.ts';
import { checkAgentStillActive } from '../../agents/identity.ts';
import { inTransaction } from '../shared/commit.ts';
import { checkClientStillRegistered } from '../shared/client-liveness.ts';
import { auditIssuance, TokenAuditEvent } from '../shared/audit.ts';
import { tokenResponseBody } from '../shared/issue.ts';
import type { UnverifiedAssertion } from './assertion.ts';
import { checkAssertionAlg } from './alg.ts';
import { verifyAssertion } from './verify.ts';
import { hasSoleAudience } from '../../checks/assertion-audience.ts';
import { checkAssertionLifetime } from './lifetime.ts';
import { checkAssertionReplay } from './replay.ts';
import { matchWorkloadRule } from './workload-rule.ts';
import { workloadIdentity } from './workload-identity.ts';
import { workloadResources } from './workload-target.ts';
import { clientScopeAllowance } from '../client-credentials/checks.ts';
import { assertionScope, requestedScope } from './scope.ts';
import { identityClaims } from './agent-claims.ts';

export async function workloadGrant(req: TokenRequest, assertion: UnverifiedAssertion, issuer: WorkloadIssuer): Promise<TokenResponseBody> {
  const { ctx, params, client } = req;
  checkAssertionAlg(assertion.header, issuer.algorithms); // RFC 8725 §3.1: asymmetric only
  const audience = issuer.audience.length > 0 ? issuer.audience : [ctx.config.issuer, endpointUrl(ctx.config.issuer, Paths.token)];
  const payload = await verifyAssertion(ctx, assertion.jwt, {
    source: issuer,
    algorithms: issuer.algorithms,
    audience, // RFC 7523 §3 (3)
    requiredClaims: [],
  }); // RFC 7523 §3 (1)-(5), (9)
  // jose accepts an aud array merely containing ours: a JWT made for another party as well is one that party could replay here.
  if (!hasSoleAudience(payload.aud, audience)) throw new InvalidGrantError('The assertion\'s "aud" claim must name this server alone (RFC 7523 §3 (3), draft-ietf-oauth-rfc7523bis).');
  checkAssertionLifetime(payload, ctx.now(), issuer.maxLifetime); // RFC 7523 §3 (4), (6)
  const rule = matchWorkloadRule(issuer, payload); // CL-8: mapped by rule, or refused
  const identity = await workloadIdentity(ctx, rule, client); // ID-2 / ID-3: active, and this client's
  const agent = identity.kind === 'agent' ? identity.agent : null;
  const asked = requestedScope(params.get('scope'));
  const own = clientScopeAllowance(client, ctx.config, agent); // what client credentials of this client (and agent, DL-4) would allow
  const scope = assertionScope(asked, asked.size === 0 ? own.byDefault : own.allowed, ctx.config); // RFC 6749 §3.3: requested ∩ allowed, else the default
  const resources = workloadResources(params.getAll('resource'), identity, ctx); // RFC 8707 §2; an agent's default audience too (DL-4)
  await checkAssertionReplay(ctx, 'jwt_bearer', payload); // RFC 7523 §3 (7)

  // Signed before the transaction, as client credentials does: a WebCrypto signature completes on a
  // later event-loop turn, and an open SQLite transaction would hold the one connection meanwhile.
  const access = await signAccessToken(ctx, {
    subject: agent ? agent.id : client.clientId,
    clientId: client.clientId,
    userId: null,
    grantId: null,
    scope,
    audience: resources,
    ttl: clientTokenTtl(client, ctx.config.ttl.clientCredentials), // ID-3: short-lived, per-client cap (max_token_ttl)
    ...(req.dpop ? { cnfJkt: req.dpop.jkt } : {}),
    extraClaims: identityClaims(identity),
  });
  return inTransaction(ctx, async (txCtx) => {
    await checkClientStillRegistered(txCtx, client); // CO-1: a token of no grant rests on its client (shared/client-liveness.ts)
    await checkAgentStillActive(txCtx, agent, InvalidGrantError); // ID-2: a suspension that landed while signing wins
    await txCtx.storage.accessTokens.create(access.record);
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
        ...(agent ? { agent_id: agent.id } : {}),
      },
    });
    return tokenResponseBody(req, access, { scope, authorizationDetails: null });
  });
}
