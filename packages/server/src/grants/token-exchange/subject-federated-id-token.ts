/**
 * ID tokens of trusted external OpenID Providers as subject_token (RFC 8693 §2.1,
 * `urn:ietf:params:oauth:token-type:id_token`; trust list config.federation.idTokenIssuers).
 * We stand in for the relying party it was issued to, so it is validated as OIDC Core §3.1.3.7
 * tells a client to: `iss` exactly the trusted issuer (2), `aud` contains one of the configured
 * client ids at that issuer (3), `azp` when present is one of them (4, 5), the signature with
 * the issuer's keys under one of its allowed asymmetric algorithms (6, 7), `exp` (9) and `iat`
 * (10) with a bounded lifetime; every audience one of ours, `azp` required with several
 * (subject-id-token-audience.ts). `nonce` (11) binds the token to the client's own authentication
 * request, which we never saw: it is not checked. The `typ` and the claims must be those of an ID
 * token, so an access token, logout token or ID-JAG of the same issuer cannot pass for one
 * (RFC 8725 §3.11, subject-id-token-kind.ts).
 *
 * The user is found like an ID-JAG's (grants/jwt-bearer/id-jag-subject.ts, no just-in-time
 * provisioning); mapping by email needs `email_verified: true` — an unverified address proves
 * nothing about who owns it (OIDC Core §5.7). The token carries no scope of ours: the subject's
 * bound is the issuer policy's scopes for the requesting client. Like our own ID tokens, it is
 * not single use: it proves a login until it expires (`maxLifetime` bounds that).
 */
import { InvalidRequestError, TokenTypeUri } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import type { ClientRecord } from '../../storage/records.ts';
import type { UnverifiedClaims } from '../../tokens/unverified-jwt.ts';
import type { IdTokenClientPolicy, IdTokenIssuer } from '../../federation/schema.ts';
import { findIdTokenIssuer } from '../../federation/issuers.ts';
import { checkAssertionAlg } from '../jwt-bearer/alg.ts';
import { ASSERTION_LEEWAY, verifyIssuerJwt } from '../jwt-bearer/verify.ts';
import { checkAssertionLifetime } from '../jwt-bearer/lifetime.ts';
import { idJagSubject } from '../jwt-bearer/id-jag-subject.ts';
import { endpointUrl, Paths } from '../../endpoints/paths.ts';
import type { ExchangeRequest } from './request.ts';
import { truncate } from './request.ts';
import type { SubjectToken } from './subject-token.ts';
import { authentication } from './subject-claims.ts';
import { asSubjectRefusal, checkPolicyTargets, decodeUnverified, federatedChain, federatedOrigin } from './subject-federated.ts';
import { checkIdTokenClaims, checkIdTokenTyp } from './subject-id-token-kind.ts';
import { checkIdTokenAudience, checkIssuedToClient } from './subject-id-token-audience.ts';

const WHAT = 'ID token';

/** `subject`: the dispatcher's unverified read of request.subjectToken, whose payload is then not decoded again. */
export async function verifyFederatedIdToken(ctx: ServerContext, client: ClientRecord, request: ExchangeRequest, subject: UnverifiedClaims): Promise<SubjectToken> {
  const { header, iss } = decodeUnverified(subject, WHAT);
  const issuer = findIdTokenIssuer(ctx.config.federation, iss);
  if (!issuer) throw new InvalidRequestError(`The subject_token issuer '${truncate(iss)}' is not a trusted ID token issuer of this server.`);
  const policy = clientPolicy(issuer, client);
  checkIdTokenTyp(header);
  return asSubjectRefusal(WHAT, issuer.issuer, async () => {
    checkAssertionAlg(header, issuer.algorithms); // RFC 8725 §3.1: asymmetric, and this issuer's only
    const claims = await verifyIssuerJwt(ctx, request.subjectToken, issuer, {
      issuer: issuer.issuer, // OIDC Core §3.1.3.7 (2): exact match
      audience: issuer.audiences, // (3): one of our client ids at that issuer
      algorithms: [...issuer.algorithms],
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'], // OIDC Core §2 REQUIRED claims
      currentDate: new Date(ctx.now() * 1000),
      clockTolerance: ASSERTION_LEEWAY,
    });
    checkAssertionLifetime(claims, ctx.now(), issuer.maxLifetime); // (9), (10): not a long-lived credential
    checkIdTokenAudience(issuer, claims, [ctx.config.issuer, endpointUrl(ctx.config.issuer, Paths.token)]); // (3)–(5)
    checkIssuedToClient(policy, client, claims); // issued to a client id this client stands for
    checkIdTokenClaims(claims); // RFC 8725 §2.8: not a logout token or access token of the same issuer
    if (issuer.subjectClaim === 'email' && claims.email_verified !== true) {
      throw new InvalidRequestError(`The subject_token's email is not verified ("email_verified" is not true): the issuer ${truncate(issuer.issuer)} maps users by email.`);
    }
    const user = await idJagSubject(ctx, issuer, claims, WHAT);
    checkPolicyTargets(request, policy);
    return {
      type: TokenTypeUri.IdToken,
      claims,
      chain: federatedChain(user.id),
      userId: user.id,
      scope: new Set(policy.scopes),
      grantId: null,
      // Another issuer's jti would mean nothing in our custody walk (audit/custody.ts): none.
      jti: null,
      expiresAt: claims.exp as number,
      origin: federatedOrigin(claims),
      ...authentication(claims, issuer.acrMappings), // the partner's acr only through the operator's mapping (federation/acr-mappings.ts)
    };
  });
}

/** The trust-list entry names which of our clients may exchange this issuer's ID tokens. */
function clientPolicy(issuer: IdTokenIssuer, client: ClientRecord): IdTokenClientPolicy {
  const policy = issuer.clients.find((p) => p.clientId === client.clientId);
  if (!policy) throw new InvalidRequestError(`The client '${client.clientId}' may not exchange ID tokens of the issuer ${truncate(issuer.issuer)}.`);
  return policy;
}
