/** Result shaping (RS-5): rows filtered and fields removed after the handler, by Cedar or predicates. */
import { describe, expect, it } from 'vitest';
import { createCedarPolicyEngine } from '../../src/policy/engine.ts';
import { createResultShaper, type ShaperOptions } from '../../src/shaping/shaper.ts';
import { withoutFields } from '../../src/shaping/fields.ts';
import { authContext } from '../support/auth.ts';

const POLICIES = `
@id("read-own-reports")
permit (principal, action == HR::Action::"get_employee", resource is HR::Employee)
when { principal has user && resource.manager == principal.user };

@id("hr-reads-all")
permit (principal, action == HR::Action::"get_employee", resource is HR::Employee)
when { principal has user && principal.user in Mandate::Group::"hr" };

// Salaries: HR staff themselves, never an agent (RS-6: delegation does not carry HR's reach).
@id("read-salary")
permit (principal, action == HR::Action::"read_salary", resource is HR::Employee)
when { principal.kind == "client" && principal has user && principal.user in Mandate::Group::"hr" };
`;

const policy = createCedarPolicyEngine({ policyText: POLICIES, namespace: 'HR', directory: (id) => (id === 'usr_hr' ? { groups: ['hr'] } : undefined) });

const options: ShaperOptions = {
  policy,
  types: {
    'HR::Employee': {
      entity: (row) => ({ type: 'HR::Employee', id: String(row.id), attributes: { manager: { __entity: { type: 'Mandate::User', id: String(row.manager) } } } }),
      rowsAt: 'employees',
      rows: { action: 'get_employee' },
      redact: [
        { fields: ['salary'], allowIf: { action: 'read_salary' } },
        { fields: ['email', 'phone', 'address.street'], tools: ['export_employees'] },
      ],
    },
    'HR::Note': { redact: [{ fields: ['private'], allowIf: ({ auth }) => auth.user === 'usr_hr' }] },
  },
};
const shaper = createResultShaper(options);

const EMPLOYEES = [
  { id: 'emp-1', name: 'Ann', manager: 'usr_manager', salary: 90_000, email: 'ann@corp.example', phone: '555-0101', address: { street: '1 Main St', city: 'Lyon' } },
  { id: 'emp-2', name: 'Bob', manager: 'usr_manager', salary: 95_000, email: 'bob@corp.example', phone: '555-0102', address: { street: '2 Main St', city: 'Oslo' } },
  { id: 'emp-3', name: 'Cid', manager: 'usr_other', salary: 99_000, email: 'cid@corp.example', phone: '555-0103', address: { street: '3 Main St', city: 'Rome' } },
];

const salesAssistant = authContext(); // agent agt_assistant acting for usr_manager
const hrStaff = authContext({ user: 'usr_hr', subject: 'usr_hr', agent: undefined, actorChain: [] });
const hrViaAgent = authContext({ user: 'usr_hr', subject: 'usr_hr' });

describe('RS-5 row filtering: an agent for a manager receives only that manager\'s reports', () => {
  it('drops rows Cedar does not permit', async () => {
    const out = (await shaper.shape({ auth: salesAssistant, tool: 'list_employees', resultType: 'HR::Employee', data: { employees: EMPLOYEES, total: 3 }, resource: undefined })) as { employees: { id: string }[]; total: number };
    expect(out.employees.map((e) => e.id)).toEqual(['emp-1', 'emp-2']);
  });

  it('keeps every row for HR staff', async () => {
    const out = (await shaper.shape({ auth: hrStaff, tool: 'list_employees', resultType: 'HR::Employee', data: EMPLOYEES, resource: undefined })) as { id: string }[];
    expect(out.map((e) => e.id)).toEqual(['emp-1', 'emp-2', 'emp-3']);
  });
});

describe('RS-5 field redaction: an agent never receives salary', () => {
  it('removes salary for the agent, keeps it for HR staff signed in themselves', async () => {
    const forAgent = (await shaper.shape({ auth: salesAssistant, tool: 'get_employee', resultType: 'HR::Employee', data: EMPLOYEES[0], resource: undefined })) as Record<string, unknown>;
    expect(forAgent).not.toHaveProperty('salary');
    expect(forAgent.name).toBe('Ann');
    const forHr = (await shaper.shape({ auth: hrStaff, tool: 'get_employee', resultType: 'HR::Employee', data: EMPLOYEES[0], resource: undefined })) as Record<string, unknown>;
    expect(forHr.salary).toBe(90_000);
  });

  it('an agent acting for HR staff still never receives salary', async () => {
    const out = (await shaper.shape({ auth: hrViaAgent, tool: 'list_employees', resultType: 'HR::Employee', data: EMPLOYEES, resource: undefined })) as Record<string, unknown>[];
    expect(out).toHaveLength(3);
    expect(JSON.stringify(out)).not.toContain('salary');
  });

  it('never modifies the handler\'s data', async () => {
    const data = structuredClone(EMPLOYEES);
    await shaper.shape({ auth: salesAssistant, tool: 'export_employees', resultType: 'HR::Employee', data, resource: undefined });
    expect(data).toEqual(EMPLOYEES);
  });
});

describe('RS-5 exports drop PII', () => {
  it('removes email, phone and street only in the export tool', async () => {
    const exported = (await shaper.shape({ auth: hrStaff, tool: 'export_employees', resultType: 'HR::Employee', data: EMPLOYEES, resource: undefined })) as Record<string, unknown>[];
    expect(exported[0]).toEqual({ id: 'emp-1', name: 'Ann', manager: 'usr_manager', salary: 90_000, address: { city: 'Lyon' } });
    const listed = (await shaper.shape({ auth: hrStaff, tool: 'list_employees', resultType: 'HR::Employee', data: EMPLOYEES, resource: undefined })) as Record<string, unknown>[];
    expect(listed[0]?.email).toBe('ann@corp.example');
  });
});

describe('RS-5 shaping rules and fail-closed shapes', () => {
  it('applies predicate rules', async () => {
    const note = { id: 'n1', text: 'hello', private: 'secret' };
    expect(await shaper.shape({ auth: salesAssistant, tool: 'get_note', resultType: 'HR::Note', data: note, resource: undefined })).toEqual({ id: 'n1', text: 'hello' });
    expect(await shaper.shape({ auth: hrStaff, tool: 'get_note', resultType: 'HR::Note', data: note, resource: undefined })).toEqual(note);
  });

  it('passes data of a type without rules unchanged, and replaces an unexpected shape of a ruled type', async () => {
    expect(await shaper.shape({ auth: salesAssistant, tool: 't', resultType: 'Other', data: { salary: 1 }, resource: undefined })).toEqual({ salary: 1 });
    expect(await shaper.shape({ auth: salesAssistant, tool: 't', resultType: undefined, data: 'text', resource: undefined })).toBe('text');
    expect(await shaper.shape({ auth: salesAssistant, tool: 't', resultType: 'HR::Employee', data: 'a string', resource: undefined })).toBeNull();
    expect(await shaper.shape({ auth: salesAssistant, tool: 't', resultType: 'HR::Employee', data: { employees: 'x' }, resource: undefined })).toEqual({ employees: [] });
    expect(await shaper.shape({ auth: hrStaff, tool: 't', resultType: 'HR::Employee', data: [1, EMPLOYEES[0]], resource: undefined })).toHaveLength(1);
  });

  it('a Cedar rule without an engine is a configuration error, not a pass-through', async () => {
    const bare = createResultShaper({ types: { T: { rows: { action: 'x' } } } });
    await expect(bare.shape({ auth: salesAssistant, tool: 't', resultType: 'T', data: [{ id: 1 }], resource: undefined })).rejects.toThrow(/needs a policy engine/);
  });

  it('withoutFields removes nested paths through arrays', () => {
    expect(withoutFields({ a: [{ b: 1, c: 2 }, 3], d: 4 }, ['a.b', 'missing.x'])).toEqual({ a: [{ c: 2 }, 3], d: 4 });
  });
});
