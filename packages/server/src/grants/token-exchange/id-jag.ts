/**
 * Issuing an Identity Assertion JWT Authorization Grant (draft-ietf-oauth-identity-assertion-authz-grant
 * §4.3, DL-3): the user's identity, asserted by this server for one other authorization server,
 * which then decides itself what access token to give (grants/jwt-bearer on the other side). The
 * claim set is the one the accepting side checks (typ `oauth-id-jag+jwt`, aud = that AS's issuer, client_id
 * = the client's id there). §2.2.1 of RFC 8693: the response's token_type is `N_A` — an ID-JAG is
 * not an access token.
 */
import { InvalidRequestError, TokenTypeUri } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import { randomToken } from '../../crypto/hash.ts';
import { inTransaction } from '../shared/commit.ts';
import { requireLiveGrantTree } from '../shared/live-tree.ts';
import type { TokenRequest, TokenResponseBody } from '../types.ts';
import { nestActors } from './act-chain.ts';
import { auditExchange } from './audit.ts';
import type { ExchangeDecision } from './issue.ts';
import type { IdJagAudience } from './target.ts';
import type { SubjectToken } from './subject-token.ts';

export const ID_JAG_TYP = 'oauth-id-jag+jwt';

/**
 * The draft (§4.3) exchanges the user's identity assertion from the login at this server: an ID
 * token we issued to the requesting client (its `aud`, checked by subject-token.ts). An access token
 * is not one: it is a grant for some resource, often held by that resource (on-behalf-of), and its
 * scope does not bound the other server's scopes — so accepting it would let any holder of any
 * narrowed user token mint an ID-JAG with everything the trust list allows. Federated subjects
 * (another issuer's ID token or ID-JAG) are refused earlier (subject-token.ts refuseRelay).
 */
export function checkIdJagSubject(subject: SubjectToken): void {
  if (subject.type === TokenTypeUri.IdToken && subject.origin === undefined) return;
  throw new InvalidRequestError(
    "An ID-JAG is issued only for the user's ID token issued to this client (subject_token_type urn:ietf:params:oauth:token-type:id_token): an access token is not an identity assertion.",
  );
}

export async function issueIdJag(req: TokenRequest, d: ExchangeDecision, audience: IdJagAudience, resources: string[]): Promise<TokenResponseBody> {
  const { ctx } = req;
  if (d.subject.userId === null) throw new InvalidRequestError('An ID-JAG asserts a user: the subject_token must be about a user.');
  const user = await ctx.storage.users.get(d.subject.userId);
  if (!user) throw new InvalidRequestError('The user of the subject_token no longer exists.');
  const now = ctx.now();
  const expiresIn = Math.min(ctx.config.tokenExchange.idJagTtl, d.subject.expiresAt - now);
  if (expiresIn < 1) throw new InvalidRequestError('The subject_token has expired.');
  const jti = randomToken(16);
  const claims: Record<string, unknown> = {
    iss: ctx.config.issuer,
    sub: user.id,
    aud: audience.issuer,
    client_id: audience.clientIds[req.client.clientId] ?? req.client.clientId,
    jti,
    iat: now,
    exp: now + expiresIn,
    scope: d.scope,
    email: user.email,
  };
  if (resources.length > 0) claims.resource = resources.length === 1 ? resources[0] : resources;
  if (d.subject.authTime !== null) claims.auth_time = d.subject.authTime;
  if (d.subject.acr !== null) claims.acr = d.subject.acr;
  if (d.subject.amr.length > 0) claims.amr = d.subject.amr;
  // Informational for the other side (the agreed claim set: recorded there, never trusted for authorization).
  const act = nestActors(d.chain.actors);
  if (act) claims.act = act;
  const assertion = await ctx.keys.sign(claims, { typ: ID_JAG_TYP });
  // CO-1: an ID-JAG is recorded nowhere the other server could ask, so liveness at issuance is all
  // there is. The ID token's grant was checked before signing (subject-token.ts); a revocation of
  // it or of an ancestor (consent, sign-out, reuse, RFC 7009) may have committed since: re-read
  // the whole ancestry in the transaction of the audit event (AU-1: no unaudited ID-JAG either).
  await inTransaction(ctx, async (txCtx) => {
    if (d.subject.grantId !== null) await requireLiveGrantTree(txCtx, d.subject.grantId, (detail) => new InvalidRequestError('The grant behind the subject_token has been revoked.', { detail }));
    await auditIdJag(txCtx, req, d, user.id, audience, resources, jti);
  }, { retryOnDeadlock: true }); // writes through txCtx only
  return { access_token: assertion, issued_token_type: TokenTypeUri.IdJag, token_type: 'N_A', expires_in: expiresIn, scope: d.scope };
}

function auditIdJag(txCtx: ServerContext, req: TokenRequest, d: ExchangeDecision, userId: string, audience: IdJagAudience, resources: string[], jti: string): Promise<void> {
  return auditExchange(txCtx.audit, req, {
    userId,
    agentId: d.agent?.id ?? null,
    requestedScope: d.requestedScope,
    grantedScope: d.scope,
    targets: [audience.issuer, ...resources],
    chain: d.chain,
    profile: 'id-jag',
    narrowed: d.narrowed,
    data: { jti, subject_jti: d.subject.jti, subject_token_type: d.subject.type, issued_token_type: TokenTypeUri.IdJag, audience: audience.issuer },
  });
}
