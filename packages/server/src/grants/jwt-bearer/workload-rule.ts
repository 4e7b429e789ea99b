/**
 * Workload identity federation (CL-8): the first configured rule whose claim equals its value
 * names the identity the verified JWT stands for. Only string claims match, exactly: a workload
 * JWT that matches no rule is refused (invalid_grant), never given a default identity.
 */
import { InvalidGrantError } from '@mandate/protocol';
import type { JWTPayload } from 'jose';
import type { WorkloadIssuer, WorkloadRule } from '../../federation/schema.ts';

export function matchWorkloadRule(issuer: WorkloadIssuer, payload: JWTPayload): WorkloadRule {
  const rule = issuer.rules.find((r) => {
    const value = payload[r.claim];
    return typeof value === 'string' && value === r.equals;
  });
  if (!rule) {
    const sub = typeof payload.sub === 'string' ? payload.sub.slice(0, 200) : '';
    throw new InvalidGrantError(`No mapping rule of the issuer ${issuer.issuer} matches this workload (sub '${sub}'): it is not mapped to an agent or service identity.`);
  }
  return rule;
}
