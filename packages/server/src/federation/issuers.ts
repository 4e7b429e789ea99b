/**
 * Which trusted issuer a JWT bearer assertion (or a federated subject token) claims to come from. The lookup uses the unverified
 * `iss` only to choose the keys that then verify it (RFC 7523 §3 (1): the issuer must be one the
 * server trusts); an issuer not configured is refused before any key is fetched.
 */
import type { FederationConfig, IdJagIssuer, IdTokenIssuer, WorkloadIssuer } from './schema.ts';

export function findWorkloadIssuer(config: FederationConfig, iss: string): WorkloadIssuer | null {
  return config.workloadIssuers.find((i) => i.issuer === iss) ?? null;
}

export function findIdJagIssuer(config: FederationConfig, iss: string): IdJagIssuer | null {
  return config.idJagIssuers.find((i) => i.issuer === iss) ?? null;
}

/** An external OpenID Provider whose ID tokens may be exchanged (grants/token-exchange). */
export function findIdTokenIssuer(config: FederationConfig, iss: string): IdTokenIssuer | null {
  return config.idTokenIssuers.find((i) => i.issuer === iss) ?? null;
}
