/**
 * The JWT bearer authorization grant (RFC 7523 §2.1, `urn:ietf:params:oauth:grant-type:jwt-bearer`):
 * a signed JWT from a trusted external issuer, in `assertion`, is the grant. The requesting client
 * authenticates as usual at the token endpoint (RFC 7521 §4.1: client authentication is separate
 * from the assertion). Two profiles, told apart by the JWT's `typ` and the issuer's trust:
 *
 * | profile  | who issues                         | stands for                    | see         |
 * |----------|------------------------------------|-------------------------------|-------------|
 * | workload | CI / cloud / cluster (CL-8)        | an agent or a service client  | workload.ts |
 * | ID-JAG   | another domain's AS (DL-3)          | one of our users              | id-jag.ts   |
 *
 * Every failure is invalid_grant (RFC 7521 §4.1.1) unless a parameter is missing
 * (invalid_request), a scope is refused (invalid_scope) or a resource (invalid_target).
 */
import type { GrantHandler } from '../types.ts';
import { readAssertion } from './assertion.ts';
import { trustedIssuer } from './trusted-issuer.ts';
import { workloadGrant } from './workload.ts';
import { idJagGrant } from './id-jag.ts';

export const jwtBearerGrant: GrantHandler = async (req) => {
  const assertion = readAssertion(req.params); // RFC 7523 §2.1: one JWT in `assertion`
  const trusted = trustedIssuer(req.ctx.config.federation, assertion); // RFC 7523 §3 (1): a trusted issuer
  return trusted.profile === 'id-jag' ? idJagGrant(req, assertion, trusted.issuer) : workloadGrant(req, assertion, trusted.issuer);
};
