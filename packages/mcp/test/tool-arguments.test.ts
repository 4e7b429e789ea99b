/**
 * Tool calls are authorized on the arguments the handler will get: parsed by the tool's zod
 * schema (defaults, coercions, transforms, bounds), not the raw JSON of the request. Also: a
 * batch may not repeat a request id (decisions are handed to handlers by id), and a resolver's
 * exception is not told to the caller (only to the audit hook).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { TokenServer } from '../../server/test/token/fixtures.ts';
import { defineTool, type PolicyRequest } from '../src/index.ts';
import { callTool, machineToken, rpc, startAs, startMcp, type RunningMcp } from './support/setup.ts';

let as: TokenServer;
let rs: RunningMcp;
let token: string;
/** What the policy engine and the handlers were given, per tool. */
const policySaw: PolicyRequest[] = [];
const handlerSaw: { tool: string; args: unknown }[] = [];
let resolverCalls = 0;

const DATABASE_ERROR = 'relation "employees_secret" does not exist (db host 10.0.0.7)';

function tools() {
  return [
    defineTool({
      name: 'export_rows',
      description: 'Exports rows (the policy allows at most 100).',
      inputSchema: { limit: z.number().int().default(1000) },
      policy: { requiredScopes: ['hr:read'], cedar: { context: (args) => ({ limit: (args as { limit?: unknown }).limit }) } },
      handler: (args) => {
        handlerSaw.push({ tool: 'export_rows', args });
        return { data: { exported: args.limit } };
      },
    }),
    defineTool({
      name: 'count_rows',
      description: 'Counts rows (coerced number, the policy allows at most 100).',
      inputSchema: { count: z.coerce.number() },
      policy: { requiredScopes: ['hr:read'], cedar: { context: (args) => ({ count: (args as { count?: unknown }).count }) } },
      handler: (args) => {
        handlerSaw.push({ tool: 'count_rows', args });
        return { data: { counted: args.count } };
      },
    }),
    defineTool({
      name: 'view_employee',
      description: 'Shows an employee (id normalised by the schema).',
      inputSchema: { id: z.string().max(64).transform((id) => id.trim().toLowerCase()) },
      policy: { requiredScopes: ['hr:read'], cedar: { resource: (args) => ({ type: 'HR::Employee', id: (args as { id: string }).id }) } },
      handler: (args, ctx) => {
        handlerSaw.push({ tool: 'view_employee', args });
        return { data: { id: args.id, resource: ctx.resource?.id } };
      },
    }),
    defineTool({
      name: 'lookup_employee',
      description: 'Looks an employee up (the resolver fails).',
      inputSchema: { id: z.string().max(64) },
      policy: {
        requiredScopes: ['hr:read'],
        cedar: {
          resource: () => {
            resolverCalls++;
            throw new Error(DATABASE_ERROR);
          },
        },
      },
      handler: () => ({ data: {} }),
    }),
    defineTool({
      name: 'admin_rows',
      description: 'Needs hr:admin.',
      inputSchema: { limit: z.number().int() },
      policy: { requiredScopes: ['hr:admin'] },
      handler: () => ({ data: {} }),
    }),
  ];
}

beforeAll(async () => {
  as = await startAs();
  rs = await startMcp(as, 'node', {
    tools: tools(),
    hooks: {
      audit: { record: (e) => rs.audit.push(e) },
      policy: {
        authorize: (r) => {
          if (r.phase === 'call') policySaw.push(r);
          const { limit, count } = r.context;
          if (limit !== undefined && (typeof limit !== 'number' || limit > 100)) return { allow: false, reason: 'at most 100 rows may be exported' };
          if (count !== undefined && (typeof count !== 'number' || count > 100)) return { allow: false, reason: 'at most 100 rows may be counted' };
          if (r.tool === 'view_employee' && r.resource !== undefined && r.resource.id !== 'e1') return { allow: false, reason: 'only employee e1' };
          return { allow: true };
        },
      },
    },
  });
  token = await machineToken(as, 'hr:read', rs.url);
});
afterAll(async () => {
  await rs?.close();
  await as?.close();
});

const bearer = () => ({ authorization: `Bearer ${token}` });
const text = (body: any): string => body.result?.content?.[0]?.text ?? '';

describe('H1 tools/call is authorized on the arguments as the schema parses them', () => {
  it('denies an omitted argument whose default the policy forbids (limit defaults to 1000 > 100)', async () => {
    handlerSaw.length = 0;
    const res = await rpc(rs.url, callTool('export_rows', {}), bearer());
    expect(res.status).toBe(200);
    expect(res.body.error?.message).toBe('Forbidden: at most 100 rows may be exported');
    expect(handlerSaw).toEqual([]);
  });

  it('allows an explicit argument within the bound, and the handler gets exactly what was authorized', async () => {
    handlerSaw.length = 0;
    policySaw.length = 0;
    const res = await rpc(rs.url, callTool('export_rows', { limit: 50 }), bearer());
    expect(res.body.result?.structuredContent).toEqual({ exported: 50 });
    expect(policySaw.at(-1)?.args).toEqual({ limit: 50 });
    // The same object, not an equal copy parsed again.
    expect(handlerSaw[0]?.args).toBe(policySaw.at(-1)?.args);
  });

  it('authorizes a coerced value as coerced: "50" is the number 50 for the policy and the handler', async () => {
    handlerSaw.length = 0;
    const res = await rpc(rs.url, callTool('count_rows', { count: '50' }), bearer());
    expect(res.body.result?.structuredContent).toEqual({ counted: 50 });
    expect(handlerSaw[0]?.args).toEqual({ count: 50 });
    const denied = await rpc(rs.url, callTool('count_rows', { count: '5000' }), bearer());
    expect(denied.body.error?.message).toBe('Forbidden: at most 100 rows may be counted');
  });

  it('resolves the resource from the transformed value ("  E1 " is employee e1), as the handler sees it', async () => {
    handlerSaw.length = 0;
    const res = await rpc(rs.url, callTool('view_employee', { id: '  E1 ' }), bearer());
    expect(res.body.result?.structuredContent).toEqual({ id: 'e1', resource: 'e1' });
    expect(rs.audit.at(-1)?.entity).toEqual({ type: 'HR::Employee', id: 'e1' });
  });

  it('never runs resolver or policy on arguments the schema refuses; the SDK answers them', async () => {
    resolverCalls = 0;
    const res = await rpc(rs.url, callTool('lookup_employee', { id: 'A'.repeat(5000) }), bearer());
    expect(res.status).toBe(200);
    expect(res.body.result?.isError).toBe(true);
    expect(text(res.body)).toMatch(/Input validation error/);
    expect(resolverCalls).toBe(0);
  });

  it('still challenges a caller lacking scope when its arguments are invalid (no schema details to it)', async () => {
    const res = await rpc(rs.url, callTool('admin_rows', { limit: 'many' }), bearer());
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
    expect(JSON.stringify(res.body)).not.toMatch(/validation/i);
  });
});

describe('L3 a failing resolver is described generically to the caller', () => {
  it('answers "resolving the resource failed" and keeps the exception for the audit hook', async () => {
    rs.audit.length = 0;
    const res = await rpc(rs.url, callTool('lookup_employee', { id: 'e1' }), bearer());
    expect(res.status).toBe(200);
    expect(res.body.error?.message).toBe('Forbidden: resolving the resource failed');
    expect(JSON.stringify(res.body)).not.toContain('employees_secret');
    expect(JSON.stringify(res.body)).not.toContain('10.0.0.7');
    const event = rs.audit.at(-1);
    expect(event?.decision).toBe('deny');
    expect(event?.reason).toBe(`resolving the resource failed: ${DATABASE_ERROR}`);
  });
});

describe('JSON-RPC 2.0 §4 an id is a string, a number or null', () => {
  for (const id of [{ a: 1 }, [1], true]) {
    it(`refuses id ${JSON.stringify(id)} with 400 invalid_request before any tool is authorized or run`, async () => {
      handlerSaw.length = 0;
      const res = await rpc(rs.url, { ...callTool('export_rows', { limit: 10 }), id }, bearer());
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', error_description: 'a JSON-RPC id must be a string, a number or null' });
      expect(handlerSaw).toEqual([]);
    });
  }
});

describe('L7 a JSON-RPC batch may not repeat a request id', () => {
  it('refuses the batch with 400 invalid_request and runs no handler', async () => {
    handlerSaw.length = 0;
    const batch = [callTool('view_employee', { id: 'e1' }, 7), callTool('export_rows', { limit: 10 }, 7)];
    const res = await rpc(rs.url, batch, bearer());
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toMatch(/repeats a request id/);
    expect(handlerSaw).toEqual([]);
  });

  it('counts 7 and "7" as the same id', async () => {
    const res = await rpc(rs.url, [callTool('export_rows', { limit: 10 }, 7), { ...callTool('export_rows', { limit: 20 }), id: '7' }], bearer());
    expect(res.status).toBe(400);
  });

  it('serves a batch of distinct ids, each handler with its own arguments and resource', async () => {
    handlerSaw.length = 0;
    const res = await rpc(rs.url, [callTool('view_employee', { id: 'E1' }, 8), callTool('export_rows', { limit: 10 }, 9)], bearer());
    expect(res.status).toBe(200);
    const byId = new Map((res.body as any[]).map((r) => [r.id, r.result?.structuredContent]));
    expect(byId.get(8)).toEqual({ id: 'e1', resource: 'e1' });
    expect(byId.get(9)).toEqual({ exported: 10 });
  });
});
