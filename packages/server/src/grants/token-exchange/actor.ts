/**
 * Who is acting (RFC 8693 §1.1, §2.1): the agent proven by the actor_token; without one, the agent
 * the authenticated client is bound to (AgentRecord.clientId) — client authentication proves that
 * agent as strongly as its client credentials token would. A plain client with no agent is no
 * actor: its exchange only narrows (same subject, same chain).
 */
import type { ServerContext } from '../../context.ts';
import type { AgentRecord, ClientRecord } from '../../storage/records.ts';
import type { DpopKey } from '../types.ts';
import { verifyActorToken } from './actor-token.ts';
import { activeAgent } from './agent.ts';
import type { ExchangeRequest } from './request.ts';
import type { UserLookup } from './users.ts';

/** `dpop`: the request's verified proof — a DPoP-bound actor access token needs it (RFC 9449 §7.1). */
export async function actingAgent(ctx: ServerContext, client: ClientRecord, request: ExchangeRequest, users: UserLookup, dpop: DpopKey | null): Promise<AgentRecord | null> {
  if (request.actorToken !== null && request.actorTokenType !== null) return verifyActorToken(ctx, client, request.actorToken, request.actorTokenType, users, dpop);
  const bound = await ctx.storage.agents.getByClientId(client.clientId);
  return bound ? activeAgent(ctx, bound, `client '${client.clientId}'`, users) : null;
}
