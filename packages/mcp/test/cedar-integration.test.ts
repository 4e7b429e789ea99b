/**
 * RS-5 fine-grained authorization through the core: a tool's Cedar resource resolver, the
 * Cedar policy engine (src/policy, R4-B) as the PolicyEngine hook, tools/list filtering by policy
 * (RS-3) and a denied call as a JSON-RPC error with the policy's reason plus an audit event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { TokenServer } from '../../server/test/token/fixtures.ts';
import { createCedarPolicyEngine, createResultShaper, defineTool } from '../src/index.ts';
import { LIST_TOOLS, callTool, machineToken, rpc, startAs, startMcp, type RunningMcp } from './support/setup.ts';

const EMPLOYEES: Record<string, { team: string }> = { e1: { team: 'sales' }, e2: { team: 'finance' } };

const POLICIES = `
permit (principal, action == Action::"view_employee", resource is Employee)
  when { resource.team == "sales" };
forbid (principal, action == Action::"purge_records", resource);
`;

let as: TokenServer;
let rs: RunningMcp;

beforeAll(async () => {
  as = await startAs();
  rs = await startMcp(as, 'hono', {
    tools: [
      defineTool({
        name: 'view_employee',
        description: 'Shows one employee.',
        inputSchema: { id: z.string() },
        policy: {
          requiredScopes: ['hr:read'],
          cedar: {
            resource: (args) => {
              const { id } = args as { id: string };
              const employee = EMPLOYEES[id];
              if (!employee) throw new Error(`unknown employee ${id}`);
              return { type: 'Employee', id, attributes: { team: employee.team } };
            },
          },
        },
        handler: (args, ctx) => ({ data: { id: args.id, entity: ctx.resource?.type } }),
      }),
      defineTool({
        name: 'list_staff',
        description: 'Lists staff with salaries.',
        resultType: 'Employee',
        policy: { requiredScopes: ['hr:read'], cedar: { action: 'view_employee' } },
        handler: () => ({ data: { employees: [{ id: 'e1', team: 'sales', salary: 100 }, { id: 'e2', team: 'finance', salary: 200 }] } }),
      }),
      defineTool({ name: 'purge_records', description: 'Purges records.', policy: { requiredScopes: ['hr:read'] }, handler: () => ({ data: { purged: true } }) }),
    ],
    hooks: {
      policy: createCedarPolicyEngine({ policyText: POLICIES + 'permit (principal, action == Action::"view_employee", resource == Server::"mcp");' }),
      // RS-5: an agent never receives salaries, and sees only the rows its policy permits.
      shaper: createResultShaper({
        types: { Employee: { rowsAt: 'employees', rows: (c) => c.row.team === 'sales', redact: [{ fields: ['salary'] }] } },
      }),
      audit: { record: (e) => rs.audit.push(e) },
    },
  });
});
afterAll(async () => {
  await rs?.close();
  await as?.close();
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('RS-3 / RS-5 tools/list through the Cedar engine', () => {
  it('lists the tool some resource permits and hides the one forbidden on every resource', async () => {
    const res = await rpc(rs.url, LIST_TOOLS, bearer(await machineToken(as, 'hr:read', rs.url)));
    expect(res.status).toBe(200);
    expect(res.body.result.tools.map((t: { name: string }) => t.name).sort()).toEqual(['list_staff', 'view_employee']);
  });
});

describe('RS-5 per-call decisions on the resolved resource', () => {
  it('allows an employee of the permitted team and passes the resolved entity to the handler', async () => {
    const res = await rpc(rs.url, callTool('view_employee', { id: 'e1' }), bearer(await machineToken(as, 'hr:read', rs.url)));
    expect(res.status).toBe(200);
    expect(res.body.result.structuredContent).toEqual({ id: 'e1', entity: 'Employee' });
  });

  it('denies another team with a JSON-RPC error naming the reason, and audits it with the entity', async () => {
    rs.audit.length = 0;
    const res = await rpc(rs.url, callTool('view_employee', { id: 'e2' }), bearer(await machineToken(as, 'hr:read', rs.url)));
    expect(res.status).toBe(200);
    expect(res.body.error.code).toBe(-32003);
    expect(res.body.error.message).toMatch(/^Forbidden: no policy permits view_employee on Employee::"e2"/);
    expect(rs.audit).toHaveLength(1);
    expect(rs.audit[0]).toMatchObject({ tool: 'view_employee', decision: 'deny', clientId: 'hr-agent', entity: { type: 'Employee', id: 'e2' } });
  });
});

describe('RS-5 a resource resolver that fails', () => {
  it('denies the call (fail closed) with a clear reason instead of a server error; the exception text stays in the audit', async () => {
    rs.audit.length = 0;
    const res = await rpc(rs.url, callTool('view_employee', { id: 'nobody' }), bearer(await machineToken(as, 'hr:read', rs.url)));
    expect(res.status).toBe(200);
    // The resolver's own message (a database error, say) is not the caller's to read.
    expect(res.body.error.message).toBe('Forbidden: resolving the resource failed');
    expect(rs.audit).toEqual([expect.objectContaining({ tool: 'view_employee', decision: 'deny', reason: expect.stringContaining('unknown employee nobody') })]);
  });
});

describe('RS-5 result shaping of { data } results through the ResultShaper hook', () => {
  it('drops rows and redacts fields before the result leaves the server', async () => {
    const res = await rpc(rs.url, callTool('list_staff'), bearer(await machineToken(as, 'hr:read', rs.url)));
    expect(res.status).toBe(200);
    expect(res.body.result.structuredContent).toEqual({ employees: [{ id: 'e1', team: 'sales' }] });
    expect(res.body.result.content[0].text).not.toContain('salary');
  });
});
