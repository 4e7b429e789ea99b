/**
 * Which trusted issuer a JWT bearer assertion claims to come from. The lookup uses the unverified
 * `iss` only to choose the keys that then verify it (RFC 7523 §3 (1): the issuer must be one the
 * server trusts); an issuer not configured is refused before any key is fetched.
 */
import type { FederationConfig, IdJagIssuer, WorkloadIssuer } from './schema.ts';

export function findWorkloadIssuer(config: FederationConfig, iss: string): WorkloadIssuer | null {
  return config.workloadIssuers.find((i) => i.issuer === iss) ?? null;
}

export function findIdJagIssuer(config: FederationConfig, iss: string): IdJagIssuer | null {
  return config.idJagIssuers.find((i) => i.issuer === iss) ?? null;
}
