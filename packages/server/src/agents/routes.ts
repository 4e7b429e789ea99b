/**
 * Owner-facing agent API (ID-2: owners create, list, change and suspend their own agents), JSON
 * under Paths.agents, authenticated by owner-auth.ts. An owner sees only their agents: another
 * owner's agent answers 404 exactly like one that does not exist. Binding a client to an agent
 * is an administrator's act (admin/agents.ts), since the client may belong to someone else, and so
 * is granting an agent a management scope (scope-ceiling.ts: no more authority than the owner's).
 * Every write runs in one transaction with its audit event (AU-1).
 */
import type { Context, Hono } from 'hono';
import type { z } from 'zod';
import { InvalidRequestError, NotFoundError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { Paths } from '../endpoints/paths.ts';
import { clientIp } from '../http/client-ip.ts';
import { readJsonObject } from '../http/params.ts';
import { inTransaction } from '../clients/lifecycle.ts';
import type { AgentRecord } from '../storage/records.ts';
import { authenticateOwner, type AgentOwner } from './owner-auth.ts';
import { activateAgent, createAgent, suspendAgent, updateAgent } from './registry.ts';
import { agentView, CreateAgentBody, UpdateAgentBody } from './schemas.ts';
import { checkOwnerScopeCeiling } from './scope-ceiling.ts';

const NO_STORE = { 'cache-control': 'no-store' };

function parseBody<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new InvalidRequestError(`Invalid ${['body', ...issue.path.map(String)].join('.')}: ${issue.message}.`);
}

/** The owner's agent, or 404: never reveal that another owner's agent exists. */
async function ownAgent(ctx: ServerContext, owner: AgentOwner, agentId: string): Promise<AgentRecord> {
  const agent = agentId.length <= 200 ? await ctx.storage.agents.get(agentId) : null;
  if (!agent || agent.ownerUserId !== owner.user.id) throw new NotFoundError(`No agent ${agentId}.`);
  return agent;
}

/** Runs a write in one transaction with its audit event. */
async function write(c: Context, ctx: ServerContext, owner: AgentOwner, event: string, fn: (tx: ServerContext) => Promise<{ agent: AgentRecord; data?: Record<string, unknown> }>) {
  return inTransaction(ctx, async (tx) => {
    const { agent, data } = await fn(tx);
    await tx.audit.record({
      event,
      userId: owner.user.id,
      clientId: owner.clientId,
      agentId: agent.id,
      ip: clientIp(c),
      result: 'success',
      data: { jti: owner.jti, ...data },
    });
    return agent;
  });
}

export function registerAgentRoutes(app: Hono, ctx: ServerContext): void {
  const base = Paths.agents;

  app.get(base, async (c) => {
    const owner = await authenticateOwner(c, ctx);
    const agents = await ctx.storage.agents.list({ ownerUserId: owner.user.id, limit: 500 });
    return c.json({ items: agents.map(agentView) }, 200, NO_STORE);
  });

  app.post(base, async (c) => {
    const owner = await authenticateOwner(c, ctx);
    const body = parseBody(CreateAgentBody, await readJsonObject(c));
    checkOwnerScopeCeiling(owner.user, body.allowed_scopes); // never more authority than the owner holds
    const agent = await write(c, ctx, owner, 'agent.created', async (tx) => ({ agent: await createAgent(tx, owner.user.id, body) }));
    return c.json(agentView(agent), 201, NO_STORE);
  });

  app.get(`${base}/:agentId`, async (c) => {
    const owner = await authenticateOwner(c, ctx);
    return c.json(agentView(await ownAgent(ctx, owner, c.req.param('agentId'))), 200, NO_STORE);
  });

  app.put(`${base}/:agentId`, async (c) => {
    const owner = await authenticateOwner(c, ctx);
    const body = parseBody(UpdateAgentBody, await readJsonObject(c));
    const agent = await write(c, ctx, owner, 'agent.updated', async (tx) => {
      const current = await ownAgent(tx, owner, c.req.param('agentId'));
      checkOwnerScopeCeiling(owner.user, body.allowed_scopes, current.allowedScopes); // adds nothing reserved
      return { agent: await updateAgent(tx, current, body) };
    });
    return c.json(agentView(agent), 200, NO_STORE);
  });

  app.post(`${base}/:agentId/suspend`, async (c) => {
    const owner = await authenticateOwner(c, ctx);
    let revoked: string[] = [];
    const agent = await write(c, ctx, owner, 'agent.suspended', async (tx) => {
      const result = await suspendAgent(tx, await ownAgent(tx, owner, c.req.param('agentId')), 'agent suspended by its owner', 'owner');
      revoked = result.revokedGrants;
      return { agent: result.agent, data: { revoked_grants: revoked } };
    });
    return c.json({ ...agentView(agent), revoked_grants: revoked }, 200, NO_STORE);
  });

  app.post(`${base}/:agentId/activate`, async (c) => {
    const owner = await authenticateOwner(c, ctx);
    const agent = await write(c, ctx, owner, 'agent.activated', async (tx) => ({ agent: await activateAgent(tx, await ownAgent(tx, owner, c.req.param('agentId')), 'owner') }));
    return c.json(agentView(agent), 200, NO_STORE);
  });
}
