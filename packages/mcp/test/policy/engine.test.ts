/**
 * Cedar (via @cedar-policy/cedar-wasm) decides what scopes cannot: relationships, action limits,
 * trust and chain depth, attestation (RS-5, RS-3, EN-4).
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EntityRef } from '../../src/core/types.ts';
import { createCedarPolicyEngine, type CedarEngineOptions } from '../../src/policy/engine.ts';
import { PolicyLoadError } from '../../src/policy/load.ts';
import { authContext, policyRequest } from '../support/auth.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const DIRECTORY: Record<string, { groups?: string[]; roles?: string[] }> = { usr_manager: { roles: ['manager'] }, usr_hr: { groups: ['hr'] } };

function engine(extra: Partial<CedarEngineOptions> = {}) {
  return createCedarPolicyEngine({ policyFiles: join(FIXTURES, 'hr.cedar'), namespace: 'HR', directory: (id) => DIRECTORY[id], ...extra });
}

function employee(id: string, manager: string): EntityRef {
  return { type: 'HR::Employee', id, attributes: { manager: { __entity: { type: 'Mandate::User', id: manager } }, name: id } };
}

describe('RS-5 relationships: an agent acting for a manager sees only that manager\'s reports', () => {
  it('allows a report of the manager, naming the permitting policy', async () => {
    const decision = await engine().authorize(policyRequest(authContext(), 'get_employee', { resource: employee('emp-1', 'usr_manager') }));
    expect(decision).toEqual({ allow: true, policies: ['read-own-reports'] });
  });

  it('denies someone else\'s report with a reason', async () => {
    const decision = await engine().authorize(policyRequest(authContext(), 'get_employee', { resource: employee('emp-2', 'usr_other') }));
    expect(decision.allow).toBe(false);
    expect(decision.allow === false && decision.reason).toBe('no policy permits get_employee on HR::Employee::"emp-2"');
  });

  it('allows HR staff through their group (user entity parents from the directory)', async () => {
    const auth = authContext({ user: 'usr_hr', subject: 'usr_hr' });
    expect((await engine().authorize(policyRequest(auth, 'get_employee', { resource: employee('emp-2', 'usr_other') }))).allow).toBe(true);
  });

  it('denies a machine token (no user) the relationship', async () => {
    const auth = authContext({ user: undefined, agent: undefined, actorChain: [] });
    expect((await engine().authorize(policyRequest(auth, 'get_employee', { resource: employee('emp-1', 'usr_manager') }))).allow).toBe(false);
  });
});

describe('RS-5 action limits: status changes allowed, deletion forbidden to agents', () => {
  it('allows update_status on a report', async () => {
    expect((await engine().authorize(policyRequest(authContext(), 'update_status', { resource: employee('emp-1', 'usr_manager') }))).allow).toBe(true);
  });

  it('forbids delete_employee to an agent even at MFA, naming the forbid', async () => {
    const auth = authContext({ acr: 'urn:mandate:acr:mfa' });
    const decision = await engine().authorize(policyRequest(auth, 'delete_employee', { resource: employee('emp-1', 'usr_manager'), context: { ...policyRequest(auth, 'x').context } }));
    expect(decision).toEqual({ allow: false, reason: 'forbidden by policy no-delete-by-agents', policies: ['no-delete-by-agents'] });
  });

  it('lets a client with no agent delete only at the MFA acr (context.acr)', async () => {
    const human = authContext({ agent: undefined, actorChain: [] });
    const weak = await engine().authorize(policyRequest(human, 'delete_employee', { resource: employee('emp-1', 'usr_manager') }));
    expect(weak.allow).toBe(false);
    const strong = authContext({ agent: undefined, actorChain: [], acr: 'urn:mandate:acr:mfa' });
    expect((await engine().authorize(policyRequest(strong, 'delete_employee', { resource: employee('emp-1', 'usr_manager') }))).allow).toBe(true);
  });
});

describe('RS-3 context: client trust level and delegation chain depth', () => {
  it('allows export only to a trusted client at chain depth <= 1', async () => {
    const trusted = authContext({ clientTrustLevel: 'trusted' });
    expect((await engine().authorize(policyRequest(trusted, 'export_employees'))).allow).toBe(true);
    const untrusted = authContext();
    expect((await engine().authorize(policyRequest(untrusted, 'export_employees'))).allow).toBe(false);
    const deep = authContext({ clientTrustLevel: 'trusted', actorChain: [{ sub: 'agt_sub' }, { sub: 'agt_assistant' }] });
    expect((await engine().authorize(policyRequest(deep, 'export_employees'))).allow).toBe(false);
  });
});

describe('EN-4 agent attestation in policy', () => {
  it('reads the agent_attestation claim on the principal', async () => {
    const approved = authContext({ claims: { agent_attestation: { model: 'approved-model-1', runtime: 'node' } } });
    expect((await engine().authorize(policyRequest(approved, 'salary_report'))).allow).toBe(true);
    const other = authContext({ claims: { agent_attestation: { model: 'random-model' } } });
    expect((await engine().authorize(policyRequest(other, 'salary_report'))).allow).toBe(false);
    expect((await engine().authorize(policyRequest(authContext(), 'salary_report'))).allow).toBe(false);
  });
});

describe('RS-3 tools/list: partial evaluation with the resource unknown', () => {
  it('lists a tool that some resource may allow, hides one forbidden for every resource', async () => {
    const e = engine();
    const list = (tool: string) => e.authorize(policyRequest(authContext(), tool, { phase: 'list', args: undefined }));
    expect((await list('get_employee')).allow).toBe(true);
    expect((await list('update_status')).allow).toBe(true);
    expect(await list('delete_employee')).toEqual({ allow: false, reason: 'forbidden by policy no-delete-by-agents', policies: ['no-delete-by-agents'] });
    expect((await list('unknown_tool')).allow).toBe(false);
  });
});

describe('Cedar policy files are validated at start', () => {
  it('a syntax error stops the start with file, line and column', () => {
    expect(() => createCedarPolicyEngine({ policyFiles: join(FIXTURES, 'broken') })).toThrow(PolicyLoadError);
    expect(() => createCedarPolicyEngine({ policyFiles: join(FIXTURES, 'broken') })).toThrow(/broken\.cedar:2:\d+: /);
  });

  it('a missing path, an empty directory and a duplicate @id are refused', () => {
    expect(() => createCedarPolicyEngine({ policyFiles: join(FIXTURES, 'absent') })).toThrow(/does not exist/);
    expect(() => createCedarPolicyEngine({ policyFiles: mkdtempSync(join(tmpdir(), 'cedar-')) })).toThrow(/No Cedar policy files/);
    const dir = mkdtempSync(join(tmpdir(), 'cedar-'));
    writeFileSync(join(dir, 'a.cedar'), '@id("x") permit (principal, action, resource);');
    writeFileSync(join(dir, 'b.cedar'), '@id("x") forbid (principal, action, resource);');
    expect(() => createCedarPolicyEngine({ policyFiles: dir })).toThrow(/"x" is used twice/);
  });

  it('no policies at all is refused (Cedar would deny every call)', () => {
    expect(() => createCedarPolicyEngine({})).toThrow(PolicyLoadError);
  });

  it('unannotated policies get file#index ids', () => {
    const e = createCedarPolicyEngine({ policyText: 'permit (principal, action, resource);' });
    expect(e.policyIds).toEqual(['<policyText>#0']);
  });
});
