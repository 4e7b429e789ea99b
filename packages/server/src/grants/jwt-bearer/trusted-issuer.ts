/**
 * Which profile an assertion is and whether its issuer is trusted for that profile. The `typ`
 * header `oauth-id-jag+jwt` marks an Identity Assertion JWT Authorization Grant
 * (draft-ietf-oauth-identity-assertion-authz-grant §3); anything else is a workload identity JWT
 * (CL-8). An issuer trusted for one profile is not trusted for the other: a workload token can
 * never be passed off as a user assertion, and an ID-JAG (whatever the spelling of its `typ`)
 * never as a workload token; an access token (`at+jwt`) is neither.
 */
import { InvalidGrantError } from '@mandate/protocol';
import type { FederationConfig, IdJagIssuer, WorkloadIssuer } from '../../federation/schema.ts';
import { findIdJagIssuer, findWorkloadIssuer } from '../../federation/issuers.ts';
import type { UnverifiedAssertion } from './assertion.ts';

/** The `typ` of an ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant §3). */
export const ID_JAG_TYP = 'oauth-id-jag+jwt';

export type TrustedIssuer = { profile: 'id-jag'; issuer: IdJagIssuer } | { profile: 'workload'; issuer: WorkloadIssuer };

/** An access token's `typ` (RFC 9068 §2.1): never a workload's identity. */
const ACCESS_TOKEN_TYP = 'at+jwt';

/**
 * The media type a `typ` names, compared as jose compares it: case-insensitively, with the
 * `application/` prefix optional (RFC 7515 §4.1.9), so "application/oauth-id-jag+jwt" is an ID-JAG.
 */
function normalisedTyp(assertion: UnverifiedAssertion): string | null {
  const typ = assertion.header.typ;
  return typeof typ === 'string' ? typ.toLowerCase().replace(/^application\//, '') : null;
}

export function isIdJag(assertion: UnverifiedAssertion): boolean {
  return normalisedTyp(assertion) === ID_JAG_TYP;
}

export function trustedIssuer(config: FederationConfig, assertion: UnverifiedAssertion): TrustedIssuer {
  const shown = assertion.iss.length > 100 ? `${assertion.iss.slice(0, 100)}…` : assertion.iss;
  if (isIdJag(assertion)) {
    const issuer = findIdJagIssuer(config, assertion.iss);
    if (!issuer) throw new InvalidGrantError(`The ID-JAG issuer '${shown}' is not a trusted identity assertion issuer.`);
    return { profile: 'id-jag', issuer };
  }
  // RFC 8725 §3.11: an access token of a workload issuer (same keys, typ at+jwt) is not its identity JWT.
  if (normalisedTyp(assertion) === ACCESS_TOKEN_TYP) {
    throw new InvalidGrantError(`The assertion is an access token (typ "${ACCESS_TOKEN_TYP}"), not a workload identity JWT.`);
  }
  const issuer = findWorkloadIssuer(config, assertion.iss);
  if (issuer) return { profile: 'workload', issuer };
  if (findIdJagIssuer(config, assertion.iss)) {
    throw new InvalidGrantError(`Assertions of '${shown}' are accepted only as ID-JAGs: the JWT header must have typ "${ID_JAG_TYP}".`);
  }
  throw new InvalidGrantError(`The assertion issuer '${shown}' is not a trusted issuer.`);
}
