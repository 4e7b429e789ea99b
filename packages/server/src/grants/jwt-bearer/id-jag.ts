/**
 * Accepting an Identity Assertion JWT Authorization Grant at the jwt-bearer grant (DL-3;
 * draft-ietf-oauth-identity-assertion-authz-grant §4.3): another trust domain's authorization
 * server asserts one of its users for one of our clients; we issue an access token for our
 * matching user, narrowed by the issuer's policy, without a second login. No refresh token: the
 * client gets a fresh ID-JAG from the user's own domain, which keeps control of the session.
 */
import { parseScope } from '@mandate/protocol';
import type { TokenRequest, TokenResponseBody } from '../types.ts';
import type { IdJagIssuer } from '../../federation/schema.ts';
import { issueAccessToken } from '../../tokens/access-token.ts';
import { clientTokenTtl } from '../../clients/service-identity.ts';
import { inTransaction } from '../shared/commit.ts';
import { auditIssuance, TokenAuditEvent } from '../shared/audit.ts';
import { tokenResponseBody } from '../shared/issue.ts';
import type { UnverifiedAssertion } from './assertion.ts';
import { checkAssertionReplay } from './replay.ts';
import { verifyIdJag } from './id-jag-verify.ts';
import { idJagResources } from './id-jag-target.ts';
import { assertionScope, requestedScope } from './scope.ts';

export async function idJagGrant(req: TokenRequest, assertion: UnverifiedAssertion, issuer: IdJagIssuer): Promise<TokenResponseBody> {
  const { ctx, params, client } = req;
  const { claims: payload, policy, user } = await verifyIdJag(ctx, client, assertion.jwt, assertion.header, issuer);
  const assertedScope = typeof payload.scope === 'string' ? (parseScope(payload.scope) ?? new Set<string>()) : null;
  const asked = params.get('scope') !== undefined ? requestedScope(params.get('scope')) : (assertedScope ?? new Set<string>());
  const ceiling = assertedScope === null ? policy.scopes : policy.scopes.filter((s) => assertedScope.has(s));
  const scope = assertionScope(asked, ceiling, ctx.config); // requested ∩ ID-JAG scope ∩ issuer policy
  const resources = idJagResources(params.getAll('resource'), payload, policy, ctx.config); // RFC 8707 §2
  await checkAssertionReplay(ctx, 'id_jag', payload); // draft §4.3: jti not replayed

  return inTransaction(ctx, async (txCtx) => {
    const access = await issueAccessToken(txCtx, {
      subject: user.id,
      clientId: client.clientId,
      userId: user.id,
      grantId: null,
      scope,
      audience: resources,
      ttl: clientTokenTtl(client, ctx.config.ttl.accessToken), // the client's max_token_ttl caps every token it gets
      ...(typeof payload.auth_time === 'number' ? { authTime: payload.auth_time } : {}),
      ...(typeof payload.acr === 'string' ? { acr: payload.acr } : {}), // ours: mapped by verifyIdJag (acrMappings)
      ...(req.dpop ? { cnfJkt: req.dpop.jkt } : {}),
    });
    await auditIssuance(txCtx.audit, req, {
      event: TokenAuditEvent.Issued,
      userId: user.id,
      requestedScope: params.get('scope') ?? (typeof payload.scope === 'string' ? payload.scope : null),
      grantedScope: scope,
      resources,
      data: {
        jti: access.jti,
        assertion_profile: 'id-jag',
        assertion_iss: payload.iss,
        assertion_sub: payload.sub,
        assertion_jti: payload.jti,
        // The issuer's actor chain, for the record (AU-2); never used for authorization here.
        ...(payload.act !== undefined ? { assertion_act: payload.act } : {}),
      },
    });
    return tokenResponseBody(req, access, { scope, authorizationDetails: null });
  });
}
