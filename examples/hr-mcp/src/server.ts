/**
 * The demo HR MCP server: employees and salaries behind @mandate/mcp.
 *   - scopes: hr:read to read, hr:write (implies hr:read) to change
 *   - Cedar (policies/hr.cedar): a manager's agent sees only that manager's reports, HR sees all,
 *     status changes allowed, deletion HR-only and never by an agent
 *   - shaping: salary removed unless Cedar permits `read_salary` (never for agents or the Sales
 *     Assistant), exports drop PII (email, phone, street)
 *   - step-up: deletion needs a phishing-resistant login (acr urn:mandate:acr:phr, RFC 9470)
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { createCedarPolicyEngine, createMandateMcp, createResultShaper, defineTool, entityValue, type AuditSink, type AuthContext, type EntityRef, type MandateMcp, type MandateMcpOptions } from '@mandate/mcp';
import { demoEmployees, EmployeeStore, type Employee } from './data.ts';

export const HR_POLICY_DIR = fileURLToPath(new URL('../policies/', import.meta.url));
export const HR_SCOPES = ['hr:read', 'hr:write'];
export const PHISHING_RESISTANT_ACR = 'urn:mandate:acr:phr';
const USER_TYPE = 'Mandate::User';

export interface HrMcpOptions {
  issuer: string;
  /** This server's canonical URI, e.g. http://localhost:4410/mcp. */
  resource: string;
  /** Mandate user ids by email: links the HR records to the people who sign in. */
  users?: Record<string, string>;
  audit?: AuditSink;
  /** Client trust levels (Cedar context.clientTrustLevel). */
  clientTrust?: MandateMcpOptions['clientTrust'];
  fetch?: MandateMcpOptions['fetch'];
}

/** One employee as a row of a result (what the handler returns, before shaping). */
export type EmployeeRow = Omit<Employee, 'groups'>;

function row(e: Employee): EmployeeRow {
  const { groups: _groups, ...rest } = e;
  return { ...rest, address: { ...rest.address } };
}

export function createHrMcp(options: HrMcpOptions): { mcp: MandateMcp; store: EmployeeStore } {
  const store = new EmployeeStore(demoEmployees(), options.users ?? {});

  /** The Cedar entity of an employee: its own user and its manager's user, when they sign in. */
  function employeeEntity(id: string): EntityRef | undefined {
    const e = store.get(id);
    if (!e) return undefined;
    const attributes: Record<string, unknown> = { status: e.status };
    const own = store.userOfEmployee(e.id);
    if (own !== undefined) attributes.user = entityValue(USER_TYPE, own);
    const managerUser = e.managerId === null ? undefined : store.userOfEmployee(e.managerId);
    if (managerUser !== undefined) attributes.manager = entityValue(USER_TYPE, managerUser);
    return { type: 'HR::Employee', id: e.id, attributes };
  }

  const policy = createCedarPolicyEngine({
    policyFiles: HR_POLICY_DIR,
    namespace: 'HR',
    directory: (userId) => {
      const e = store.employeeOfUser(userId);
      if (!e) return undefined;
      const manager = e.managerId === null ? undefined : store.userOfEmployee(e.managerId);
      return { groups: e.groups, roles: [e.title], ...(manager !== undefined ? { manager } : {}) };
    },
  });

  const shaper = createResultShaper({
    policy,
    types: {
      'HR::Employee': {
        entity: (r) => employeeEntity(String(r.id)) ?? { type: 'HR::Employee', id: String(r.id) },
        rowsAt: 'employees',
        rows: { action: 'get_employee' },
        redact: [
          { fields: ['salary'], allowIf: { action: 'read_salary' } },
          { fields: ['email', 'phone', 'address.street'], tools: ['export_employees'] },
        ],
      },
    },
  });

  const isHr = (auth: AuthContext) => auth.user !== undefined && (store.employeeOfUser(auth.user)?.groups.includes('hr') ?? false);
  const resolveEmployee = (args: unknown) => employeeEntity(String((args as { id?: unknown }).id ?? ''));

  const tools = [
    defineTool({
      name: 'list_employees',
      description: 'Lists the employees you may see.',
      resultType: 'HR::Employee',
      policy: {
        requiredScopes: ['hr:read'],
        descriptions: [
          { when: isHr, description: 'Lists every employee (HR view).' },
          { when: (a) => a.user !== undefined, description: 'Lists your direct reports and yourself.' },
        ],
      },
      handler: () => ({ data: { employees: store.all().map(row) } }),
    }),
    defineTool({
      name: 'get_employee',
      description: 'Reads one employee record.',
      inputSchema: { id: z.string().min(1).max(64) },
      resultType: 'HR::Employee',
      policy: { requiredScopes: ['hr:read'], cedar: { resource: resolveEmployee } },
      handler: (args) => {
        const e = store.get(args.id);
        return e ? { data: row(e) } : { content: [{ type: 'text', text: `No employee ${args.id}.` }], isError: true };
      },
    }),
    defineTool({
      name: 'update_status',
      description: 'Changes an employee status (active, on_leave, terminated).',
      inputSchema: { id: z.string().min(1).max(64), status: z.enum(['active', 'on_leave', 'terminated']) },
      resultType: 'HR::Employee',
      policy: { requiredScopes: ['hr:write'], cedar: { resource: resolveEmployee } },
      handler: (args) => {
        const e = store.setStatus(args.id, args.status);
        return e ? { data: row(e) } : { content: [{ type: 'text', text: `No employee ${args.id}.` }], isError: true };
      },
    }),
    defineTool({
      name: 'delete_employee',
      description: 'Deletes an employee record (HR only; needs a passkey sign-in).',
      inputSchema: { id: z.string().min(1).max(64) },
      policy: { requiredScopes: ['hr:write'], minAcr: PHISHING_RESISTANT_ACR, cedar: { resource: resolveEmployee } },
      handler: (args) => ({ data: { deleted: store.delete(args.id) ? args.id : null } }),
    }),
    defineTool({
      name: 'export_employees',
      description: 'Exports the employees you may see, without personal contact data.',
      resultType: 'HR::Employee',
      policy: { requiredScopes: ['hr:read'] },
      handler: () => ({ data: { employees: store.all().map(row), exportedAt: new Date().toISOString() } }),
    }),
  ];

  const mcp = createMandateMcp({
    resource: options.resource,
    issuer: options.issuer,
    serverInfo: { name: 'mandate-demo-hr', version: '0.1.0' },
    tools,
    scopesSupported: HR_SCOPES,
    scopeHierarchy: { 'hr:write': ['hr:read'] },
    hooks: { policy, shaper, ...(options.audit ? { audit: options.audit } : {}) },
    ...(options.clientTrust ? { clientTrust: options.clientTrust } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return { mcp, store };
}
