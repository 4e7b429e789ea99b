/** The tools of the test MCP servers (HTTP and stdio). */
import { z } from 'zod';
import { defineTool, type ToolDefinition } from '../../src/index.ts';

/** The HR tools of the tests: read < write < admin, a step-up tool, a RAR tool. */
export function hrTools(): ToolDefinition[] {
  return [
    defineTool({
      name: 'list_employees',
      description: 'Lists employees.',
      policy: { requiredScopes: ['hr:read'], descriptions: [{ when: (a) => a.user === undefined, description: 'Lists employees (service view).' }] },
      handler: () => ({ data: { employees: [{ id: 'e1', name: 'Ada' }] } }),
    }),
    defineTool({
      name: 'update_status',
      description: 'Changes an employee status.',
      inputSchema: { id: z.string(), status: z.string() },
      policy: { requiredScopes: ['hr:write'] },
      handler: (args) => ({ data: { id: args.id, status: args.status } }),
    }),
    defineTool({
      name: 'delete_employee',
      description: 'Deletes an employee (needs a passkey).',
      inputSchema: { id: z.string() },
      policy: { requiredScopes: ['hr:write'], minAcr: 'urn:mandate:acr:phr' },
      handler: (args) => ({ data: { deleted: args.id } }),
    }),
    defineTool({
      name: 'payroll_export',
      description: 'Exports payroll (admin, recent login).',
      policy: { requiredScopes: ['hr:admin', 'reports:read'], maxAge: 1 },
      handler: () => ({ data: { rows: 0 } }),
    }),
    defineTool({
      name: 'approve_payment',
      description: 'Approves a payment described in the authorization.',
      inputSchema: { amount: z.number() },
      policy: {
        requiredScopes: ['hr:read'],
        hideWhenUnauthorized: false,
        authorizationDetails: { type: 'payment', match: (d, args) => typeof d.max === 'number' && (args as { amount: number }).amount <= d.max },
      },
      handler: (args) => ({ data: { approved: args.amount } }),
    }),
  ];
}

