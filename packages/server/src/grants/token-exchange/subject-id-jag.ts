/**
 * ID-JAGs as subject_token (RFC 8693 §2.1, `urn:ietf:params:oauth:token-type:id-jag`): an
 * Identity Assertion JWT Authorization Grant of a trusted issuer (config.federation.idJagIssuers)
 * addressed to us, verified exactly as the jwt-bearer grant verifies one
 * (draft-ietf-oauth-identity-assertion-authz-grant §4.3, grants/jwt-bearer/id-jag.ts): confidential
 * client, `alg`, signature, `typ oauth-id-jag+jwt`, `aud` = our issuer, lifetime, `client_id` = the
 * requesting client and named by the issuer's policy, the mapped user, targets within the ID-JAG's
 * `resource` and the policy, `jti` single use — one namespace with the jwt-bearer grant, so an
 * ID-JAG buys one token through either grant, never two. Subject scope bound = the ID-JAG's
 * `scope` ∩ the policy's scopes.
 *
 * Our own ID-JAGs are refused: we issue them for other authorization servers (aud = theirs), and
 * accepting one back would turn an identity assertion into a bearer credential at home.
 * The jti is consumed when the subject token is accepted: a later refusal of the exchange (scope,
 * actor) still uses it up — the client asks the user's home domain for a fresh one.
 */
import { parseScope, InvalidRequestError, TokenTypeUri } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import type { ClientRecord } from '../../storage/records.ts';
import type { IdJagClientPolicy } from '../../federation/schema.ts';
import { findIdJagIssuer } from '../../federation/issuers.ts';
import { checkAssertionReplay } from '../jwt-bearer/replay.ts';
import { verifyIdJag } from '../jwt-bearer/id-jag-verify.ts';
import { idJagResources } from '../jwt-bearer/id-jag-target.ts';
import type { ExchangeRequest } from './request.ts';
import { truncate } from './request.ts';
import type { SubjectToken } from './subject-token.ts';
import { authentication } from './subject-claims.ts';
import { asSubjectRefusal, decodeUnverified, federatedChain, federatedOrigin } from './subject-federated.ts';

const WHAT = 'ID-JAG';

export async function verifyIdJagSubject(ctx: ServerContext, client: ClientRecord, request: ExchangeRequest): Promise<SubjectToken> {
  const { header, iss } = decodeUnverified(request.subjectToken, WHAT);
  if (iss === ctx.config.issuer) {
    throw new InvalidRequestError('The subject_token is an ID-JAG of this server: those are addressed to other authorization servers and are not accepted here.');
  }
  const issuer = findIdJagIssuer(ctx.config.federation, iss);
  if (!issuer) throw new InvalidRequestError(`The subject_token issuer '${truncate(iss)}' is not a trusted identity assertion issuer of this server.`);
  return asSubjectRefusal(WHAT, issuer.issuer, async () => {
    const { claims, policy, user } = await verifyIdJag(ctx, client, request.subjectToken, header, issuer);
    idJagResources([...request.resources, ...request.audiences], claims, policy, ctx.config); // RFC 8707, within the ID-JAG and the policy
    const scope = subjectScope(claims.scope, policy);
    await checkAssertionReplay(ctx, 'id_jag', claims); // draft §4.3: jti not replayed
    return {
      type: TokenTypeUri.IdJag,
      claims,
      chain: federatedChain(user.id),
      userId: user.id,
      scope,
      grantId: null,
      jti: null, // the issuer's jti is kept in the replay store; it names nothing in our custody walk
      expiresAt: claims.exp as number,
      origin: federatedOrigin(claims),
      ...authentication(claims),
    };
  });
}

/** As the jwt-bearer grant: the ID-JAG's `scope` (when it has one) within the policy's scopes. */
function subjectScope(claim: unknown, policy: IdJagClientPolicy): Set<string> {
  const asserted = typeof claim === 'string' ? (parseScope(claim) ?? new Set<string>()) : null;
  return new Set(asserted === null ? policy.scopes : policy.scopes.filter((s) => asserted.has(s)));
}
