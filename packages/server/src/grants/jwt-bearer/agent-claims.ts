/**
 * Claims that make a workload token attributable (AU-2): a token for an agent names the agent
 * (its id is also the token's `sub`) and carries its EN-4 attestation, the same claims every
 * other grant puts in (agents/identity.ts); a service token carries none.
 */
import { agentClaims } from '../../agents/identity.ts';
import type { WorkloadIdentity } from './workload-identity.ts';

export function identityClaims(identity: WorkloadIdentity): Record<string, unknown> {
  return identity.kind === 'agent' ? { ...agentClaims(identity.agent) } : {};
}
