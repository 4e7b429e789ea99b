/**
 * Admin API: agent identities (ID-2). Administrators manage every agent, whoever owns it, and
 * alone may bind a client to an agent (its client_credentials tokens then stand for the agent).
 * Suspending revokes every grant the agent acts in, with their trees and tokens (registry.ts).
 */
import { z } from 'zod';
import { NotFoundError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import type { AgentRecord } from '../storage/records.ts';
import { activateAgent, bindAgentClient, createAgent, suspendAgent, updateAgent } from '../agents/registry.ts';
import { AgentView, agentView, CreateAgentBody, UpdateAgentBody } from '../agents/schemas.ts';
import { defineRoute } from './route.ts';
import { listOf, Pagination, RevokedGrants } from './schemas.ts';

const AgentIdParam = z.object({ agentId: z.string().min(1).max(200) });
const clientId = z.string().min(1).max(2048).nullable().describe('A client whose client_credentials tokens stand for the agent.');

async function getAgent(ctx: ServerContext, agentId: string): Promise<AgentRecord> {
  const agent = await ctx.storage.agents.get(agentId);
  if (!agent) throw new NotFoundError(`No agent ${agentId}.`);
  return agent;
}

export const agentRoutes = [
  defineRoute({
    method: 'get',
    path: '/agents',
    operationId: 'listAgents',
    summary: 'List agents, optionally of one owner.',
    tag: 'agents',
    query: Pagination.extend({ owner_user_id: z.string().min(1).max(200).optional() }),
    success: { status: 200, description: 'A page of agents.', schema: listOf(AgentView) },
    async handle({ ctx, query }) {
      const agents = await ctx.storage.agents.list({ ...(query.owner_user_id ? { ownerUserId: query.owner_user_id } : {}), limit: query.limit, offset: query.offset });
      return { items: agents.map(agentView) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/agents',
    operationId: 'createAgent',
    summary: 'Create an agent for an owner (an enabled user).',
    tag: 'agents',
    body: CreateAgentBody.extend({ owner_user_id: z.string().min(1).max(200), client_id: clientId.optional() }),
    success: { status: 201, description: 'The agent.', schema: AgentView },
    async handle({ ctx, body, auditData }) {
      const { owner_user_id: ownerUserId, client_id: boundClient, ...input } = body;
      let agent = await createAgent(ctx, ownerUserId, input);
      if (boundClient) agent = await bindAgentClient(ctx, agent, boundClient);
      Object.assign(auditData, { agent_id: agent.id, owner_user_id: ownerUserId, bound_client_id: agent.clientId });
      return agentView(agent);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/agents/:agentId',
    operationId: 'getAgent',
    summary: 'Read one agent.',
    tag: 'agents',
    params: AgentIdParam,
    success: { status: 200, description: 'The agent.', schema: AgentView },
    errors: [404],
    async handle({ ctx, params }) {
      return agentView(await getAgent(ctx, params.agentId));
    },
  }),
  defineRoute({
    method: 'put',
    path: '/agents/:agentId',
    operationId: 'updateAgent',
    summary: 'Change an agent: fields left out keep their value; client_id null unbinds the client.',
    tag: 'agents',
    params: AgentIdParam,
    body: UpdateAgentBody.extend({ client_id: clientId.optional() }),
    success: { status: 200, description: 'The agent.', schema: AgentView },
    errors: [404],
    async handle({ ctx, params, body, auditData }) {
      const { client_id: boundClient, ...input } = body;
      let agent = await updateAgent(ctx, await getAgent(ctx, params.agentId), input);
      if (boundClient !== undefined) agent = await bindAgentClient(ctx, agent, boundClient);
      auditData.bound_client_id = agent.clientId;
      return agentView(agent);
    },
  }),
  defineRoute({
    method: 'post',
    path: '/agents/:agentId/suspend',
    operationId: 'suspendAgent',
    summary: 'Suspend an agent: it stops at once; every grant it acts in is revoked with its tokens.',
    tag: 'agents',
    params: AgentIdParam,
    success: { status: 200, description: 'The suspended agent and the grants revoked.', schema: AgentView.extend(RevokedGrants.shape) },
    errors: [404],
    async handle({ ctx, params, auditData }) {
      const { agent, revokedGrants } = await suspendAgent(ctx, await getAgent(ctx, params.agentId), 'agent suspended by an administrator', 'admin');
      auditData.revoked_grants = revokedGrants;
      return { ...agentView(agent), revoked_grants: revokedGrants };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/agents/:agentId/activate',
    operationId: 'activateAgent',
    summary: 'Re-activate a suspended agent, whoever suspended it (its owner must be enabled; revoked grants stay revoked).',
    tag: 'agents',
    params: AgentIdParam,
    success: { status: 200, description: 'The agent.', schema: AgentView },
    errors: [404],
    async handle({ ctx, params }) {
      return agentView(await activateAgent(ctx, await getAgent(ctx, params.agentId), 'admin'));
    },
  }),
];
