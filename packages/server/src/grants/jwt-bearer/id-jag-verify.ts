/**
 * The checks an ID-JAG passes before it names anyone (draft-ietf-oauth-identity-assertion-authz-grant
 * §3, §4.3), the same whether it arrives as a jwt-bearer assertion (id-jag.ts) or as an RFC 8693
 * subject_token (token-exchange/subject-id-jag.ts): an authenticated client, an allowed `alg`,
 * the issuer's signature, `typ`, `aud` = our issuer, a short lifetime, `client_id` = the requesting
 * client under the issuer's policy, and the user that policy maps it to. Targets, scope and the
 * single use of `jti` are left to the caller: each grant orders them around its own request.
 * The claims handed back carry `acr` as ours: the issuer's translated through its `acrMappings`,
 * or none (federation/acr-mappings.ts) — both grants then copy a class we chose, never the partner's.
 */
import { InvalidGrantError } from '@mandate/protocol';
import type { JWTHeaderParameters, JWTPayload } from 'jose';
import type { ServerContext } from '../../context.ts';
import type { IdJagClientPolicy, IdJagIssuer } from '../../federation/schema.ts';
import type { ClientRecord, UserRecord } from '../../storage/records.ts';
import { checkAssertionAlg } from './alg.ts';
import { checkIdJagClientAuthenticated, idJagClientPolicy } from './id-jag-client.ts';
import { idJagSubject } from './id-jag-subject.ts';
import { checkAssertionLifetime } from './lifetime.ts';
import { ID_JAG_TYP } from './trusted-issuer.ts';
import { verifyAssertion } from './verify.ts';
import { withLocalAcr } from '../../federation/acr-mappings.ts';
import { hasSoleAudience } from '../../checks/assertion-audience.ts';

export interface VerifiedIdJag {
  claims: JWTPayload;
  policy: IdJagClientPolicy;
  user: UserRecord;
}

export async function verifyIdJag(ctx: ServerContext, client: ClientRecord, jwt: string, header: JWTHeaderParameters, issuer: IdJagIssuer): Promise<VerifiedIdJag> {
  checkIdJagClientAuthenticated(client); // the client_id binding needs an authenticated client
  checkAssertionAlg(header, issuer.algorithms); // RFC 8725 §3.1: asymmetric only
  const verified = await verifyAssertion(ctx, jwt, {
    source: issuer,
    algorithms: issuer.algorithms,
    audience: [ctx.config.issuer], // draft §4.3: aud is this AS's issuer identifier, exactly
    typ: ID_JAG_TYP, // draft §3
    requiredClaims: ['client_id', 'iat'],
  });
  checkIdJagAudience(verified, ctx.config.issuer); // jose accepts an aud array merely containing ours
  const claims = withLocalAcr(verified, issuer.acrMappings); // a partner's acr is not one of our classes
  checkAssertionLifetime(claims, ctx.now(), issuer.maxLifetime); // draft §3: short-lived
  const policy = idJagClientPolicy(issuer, claims, client); // draft §4.3: client_id = the authenticated client
  const user = await idJagSubject(ctx, issuer, claims); // draft §4.3: the user, by issuer policy
  return { claims, policy, user };
}

/**
 * Draft §3: `aud` is this authorization server's issuer identifier — the ID-JAG is for us alone.
 * A one-element array says the same; an array naming another party too is a token that party
 * could also redeem, refused (jose's audience option only checks that ours is among them).
 */
function checkIdJagAudience(claims: JWTPayload, issuer: string): void {
  if (!hasSoleAudience(claims.aud, [issuer])) throw new InvalidGrantError('The ID-JAG "aud" claim must be exactly this server\'s issuer identifier (draft-ietf-oauth-identity-assertion-authz-grant §3).');
}
