/**
 * The acting agent must be active, and so must its owner (ID-2): suspending either stops the agent
 * at once. RFC 8693 §2.2.2: an actor "unacceptable based on policy" is `invalid_request`.
 */
import { InvalidRequestError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import type { AgentRecord } from '../../storage/records.ts';
import type { UserLookup } from './users.ts';

export async function activeAgent(ctx: ServerContext, agent: AgentRecord | null, how: string, users: UserLookup): Promise<AgentRecord> {
  if (!agent) throw new InvalidRequestError(`The actor_token does not identify a registered agent (${how}).`);
  if (agent.status !== 'active') throw new InvalidRequestError(`The agent '${agent.id}' is suspended: it cannot act.`);
  const owner = await users(agent.ownerUserId);
  if (!owner || owner.disabled) throw new InvalidRequestError(`The owner of the agent '${agent.id}' is disabled: the agent cannot act.`);
  return agent;
}
