/**
 * Accepting an Identity Assertion JWT Authorization Grant at the jwt-bearer grant (DL-3;
 * draft-ietf-oauth-identity-assertion-authz-grant §4.3): another trust domain's authorization
 * server asserts one of its users for one of our clients; we issue an access token for our
 * matching user, narrowed by the issuer's policy, without a second login. No refresh token: the
 * client gets a fresh ID-JAG from the user's own domain, which keeps control of the session.
 */
import { parseScope } from '@mandate/protocol';
import type { TokenRequest, TokenResponseBody } from '../types.ts';
import type { ServerContext } from '../../context.ts';
import type { IdJagIssuer } from '../../federation/schema.ts';
import { signAccessToken } from '../../tokens/access-token.ts';
import { clientTokenTtl } from '../../clients/service-identity.ts';
import { inTransaction } from '../shared/commit.ts';
import { checkClientStillRegistered } from '../shared/client-liveness.ts';
import { auditIssuance, TokenAuditEvent } from '../shared/audit.ts';
import { tokenResponseBody } from '../shared/issue.ts';
import type { UnverifiedAssertion } from './assertion.ts';
import { checkAssertionReplay } from './replay.ts';
import { verifyIdJag } from './id-jag-verify.ts';
import { refuseUnacceptableUser } from './id-jag-subject.ts';
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

  // Signed before the transaction, as client credentials does: a WebCrypto signature completes on a
  // later event-loop turn, and an open SQLite transaction would hold the one connection meanwhile.
  const access = await signAccessToken(ctx, {
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
  return inTransaction(ctx, async (txCtx) => {
    await checkUserStillAcceptable(txCtx, user.id); // a deprovisioning or promotion that landed while signing wins
    await checkClientStillRegistered(txCtx, client); // a grant-less token: a client deletion meanwhile wins too (lock order: user, then client)
    await txCtx.storage.accessTokens.create(access.record);
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

/**
 * The user re-read inside the issuance transaction, share-locked (users.getForShare; lock order:
 * the user row first). Deprovisioning locks the row for update before revoking the user's
 * grant-less tokens (account/deprovision.ts, grants.revokeByUser): either it committed first and
 * the row reads disabled here, or it waits for this commit and its walk revokes (and publishes)
 * the token stored here. The read before signing (id-jag-subject.ts) alone would miss it. The same
 * goes for a promotion to administrator: idJagSubject refuses administrators (another domain's
 * assertion is too weak a proof for them), so one who became one while the token was signed is
 * refused here with its words.
 */
async function checkUserStillAcceptable(txCtx: ServerContext, userId: string): Promise<void> {
  refuseUnacceptableUser(await txCtx.storage.users.getForShare(userId), 'ID-JAG');
}
