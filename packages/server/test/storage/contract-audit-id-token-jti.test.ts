/**
 * AU-2 through our ID tokens (migration 0017-audit-id-token-jti): the issuance that signed an ID
 * token records its jti as `data.id_token_jti`, and the custody query finds that event by it
 * through an index — outside the hash chain, trusted only when the hashed data agrees.
 */
import { describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/cli/verify-audit.ts';
import { BACKENDS, useStorage } from './fixtures.ts';
import { event, fillAuditLog, planText } from './audit-lookup-support.ts';

const SIGNING = ['token_issued', 'token_refreshed'] as const;

describe.each(BACKENDS)('storage contract (%s): AU-2 audit lookup by id_token_jti', (backend) => {
  const h = useStorage(backend);

  it('finds the event that signed an ID token among the given events, by id_token_jti only', async () => {
    const audit = h.storage.audit;
    const issued = await audit.append(event('token_issued', { grant_type: 'authorization_code', jti: 'at_1', id_token_jti: 'idt_1' }), 1_000);
    const refreshed = await audit.append(event('token_refreshed', { grant_type: 'refresh_token', jti: 'at_2', id_token_jti: 'idt_2' }), 1_001);
    await audit.append(event('token_exchanged', { jti: 'at_3', subject_jti: 'idt_1' }), 1_002);
    expect(await audit.findIdTokenIssuance('idt_1', SIGNING)).toEqual(issued);
    expect(await audit.findIdTokenIssuance('idt_2', SIGNING)).toEqual(refreshed);
    // The access token's jti is not an ID token's, and an ID token's jti is not data.jti.
    expect(await audit.findIdTokenIssuance('at_1', SIGNING)).toBeNull();
    expect(await audit.findIssuance('idt_1', ['token_issued', 'token_refreshed', 'token_exchanged'])).toBeNull();
    expect(await audit.findIdTokenIssuance('idt_2', ['token_issued'])).toBeNull();
    expect(await audit.findIdTokenIssuance('idt_1', [])).toBeNull();
    expect(await audit.findIdTokenIssuance('idt_none', SIGNING)).toBeNull();
    expect(await h.raw('select seq, jti, id_token_jti from audit_events order by seq')).toEqual([
      { seq: 1, jti: 'at_1', id_token_jti: 'idt_1' },
      { seq: 2, jti: 'at_2', id_token_jti: 'idt_2' },
      { seq: 3, jti: 'at_3', id_token_jti: null },
    ].map((r) => (backend === 'postgres' ? { ...r, seq: String(r.seq) } : r)));
  });

  it('only a string data.id_token_jti counts; a row whose unhashed copy was altered is skipped; the chain still verifies', async () => {
    const audit = h.storage.audit;
    await audit.append(event('token_issued', { jti: 'at_0', id_token_jti: 7, act: { id_token_jti: 'idt_1' } }), 1_000);
    const forged = await audit.append(event('token_issued', { jti: 'at_1', id_token_jti: 'idt_forged' }), 1_001);
    const genuine = await audit.append(event('token_issued', { jti: 'at_2', id_token_jti: 'idt_1', note: 'nul \u0000 and lone \ud800' }), 1_002);
    expect(await h.raw('select id_token_jti from audit_events where seq = 1')).toEqual([{ id_token_jti: null }]);
    await h.raw(`update audit_events set id_token_jti = 'idt_1' where seq = ${forged.seq}`);
    expect((await audit.findIdTokenIssuance('idt_1', SIGNING))?.seq).toBe(genuine.seq);
    expect(await audit.findIdTokenIssuance('idt_forged', SIGNING)).toBeNull();
    expect(await verifyAuditChain(h.storage)).toEqual({ count: 3, broken: null });
  });

  it('migration 0017 runs again over a database that has it, and adds column and index to one that does not', async () => {
    await h.storage.audit.append(event('token_issued', { jti: 'at_1', id_token_jti: 'idt_1' }), 1_000);
    await h.raw("delete from kysely_migration where name = '0017-audit-id-token-jti'");
    await h.storage.migrate(); // column and index present: nothing to do
    await h.raw('drop index audit_events_id_token_jti');
    await h.raw('alter table audit_events drop column id_token_jti');
    await h.raw("delete from kysely_migration where name = '0017-audit-id-token-jti'");
    await h.storage.migrate();
    // No backfill: no event before 0017 recorded an ID token's jti.
    expect(await h.raw('select id_token_jti from audit_events')).toEqual([{ id_token_jti: null }]);
    const again = await h.storage.audit.append(event('token_refreshed', { jti: 'at_2', id_token_jti: 'idt_2' }), 1_001);
    expect(await h.storage.audit.findIdTokenIssuance('idt_2', SIGNING)).toEqual(again);
  });

  it('the lookup uses audit_events_id_token_jti, not a scan of the log', async () => {
    await fillAuditLog(h, backend, true);
    const explain = backend === 'sqlite' ? 'explain query plan' : 'explain';
    const plan = planText(await h.raw(`${explain} select * from audit_events where id_token_jti = 'idt_1' and event in ('token_issued', 'token_refreshed') order by seq limit 8`));
    expect(plan).toContain('audit_events_id_token_jti');
    expect((await h.storage.audit.findIdTokenIssuance('idt_4321', SIGNING))?.seq).toBe(4321);
  });
});
