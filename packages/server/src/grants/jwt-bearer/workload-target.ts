/**
 * RFC 8707 §2: the resources the token is for. An agent may only obtain tokens for the audiences
 * it is allowed (ID-2, DL-4), including the default audience a request without `resource` gets
 * (the issuer itself, tokens/access-token.ts): exactly the check of client credentials
 * (client-credentials/agent-limits.ts withinAgentAudiences), else invalid_target. A service client
 * may obtain tokens for any resource the server serves.
 */
import type { ServerContext } from '../../context.ts';
import { checkResourceIndicators } from '../../checks/resource-indicators.ts';
import { defaultAudience } from '../../tokens/access-token.ts';
import { withinAgentAudiences } from '../client-credentials/agent-limits.ts';
import type { WorkloadIdentity } from './workload-identity.ts';

export function workloadResources(values: string[], identity: WorkloadIdentity, ctx: Pick<ServerContext, 'config'>): string[] {
  const resources = checkResourceIndicators(values, ctx.config);
  withinAgentAudiences(identity.kind === 'agent' ? identity.agent : null, resources, defaultAudience(ctx));
  return resources;
}
