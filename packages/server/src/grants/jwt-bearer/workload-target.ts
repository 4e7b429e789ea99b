/**
 * RFC 8707 §2: the resources the token is for. An agent may only obtain tokens for the audiences
 * it is allowed (ID-2); a service client for any resource the server serves. No resource: the
 * default audience (the issuer itself, tokens/access-token.ts).
 */
import { InvalidTargetError } from '@mandate/protocol';
import type { MandateConfig } from '../../config/config.ts';
import { checkResourceIndicators } from '../../checks/resource-indicators.ts';
import type { WorkloadIdentity } from './workload-identity.ts';

export function workloadResources(values: string[], identity: WorkloadIdentity, config: Pick<MandateConfig, 'resources'>): string[] {
  const resources = checkResourceIndicators(values, config);
  if (identity.kind === 'agent') {
    for (const r of resources) {
      if (!identity.agent.allowedAudiences.includes(r)) throw new InvalidTargetError(`The agent '${identity.agent.id}' may not obtain tokens for the resource '${r.slice(0, 100)}'.`);
    }
  }
  return resources;
}
