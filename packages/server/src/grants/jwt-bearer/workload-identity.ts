/**
 * The identity a workload rule maps to, and whether the authenticated client may speak for it.
 * A service client (ID-3): the requesting client must be that client (and when that client is an
 * agent's own client, the token stands for the agent, as with client credentials). An agent
 * (ID-2): it must be active and its owner enabled (agents/identity.ts: suspending either stops it
 * at once), and the requesting client must be the agent's own client — a workload JWT never lends
 * its identity to another client.
 */
import { InvalidGrantError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import type { AgentRecord, ClientRecord } from '../../storage/records.ts';
import type { WorkloadRule } from '../../federation/schema.ts';
import { agentForClient, loadActiveAgent } from '../../agents/identity.ts';

export type WorkloadIdentity = { kind: 'client'; client: ClientRecord } | { kind: 'agent'; agent: AgentRecord; client: ClientRecord };

export async function workloadIdentity(ctx: ServerContext, rule: WorkloadRule, client: ClientRecord): Promise<WorkloadIdentity> {
  if (rule.clientId !== undefined) {
    if (rule.clientId !== client.clientId) {
      throw new InvalidGrantError(`This workload is mapped to the client '${rule.clientId}'; only that client may present its assertions.`);
    }
    const agent = await agentForClient(ctx, client.clientId);
    return agent ? { kind: 'agent', agent, client } : { kind: 'client', client };
  }
  const agent = await loadActiveAgent(ctx, rule.agentId as string);
  if (agent.clientId !== client.clientId) {
    throw new InvalidGrantError(`Only the agent's own client may present assertions for the agent '${agent.id}'.`);
  }
  return { kind: 'agent', agent, client };
}
