/**
 * AU-2 at scale (migration 0009-audit-jti): the custody query finds the event that issued a jti,
 * and an event by id, through indexes instead of paging through the audit log — and the hash
 * chain is untouched by the new unhashed column.
 */
import { describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/cli/verify-audit.ts';
import { BACKENDS, useStorage } from './fixtures.ts';
import { event, fillAuditLog, planText } from './audit-lookup-support.ts';

const ISSUING = ['token_exchanged', 'token_issued', 'token_refreshed'] as const;

describe.each(BACKENDS)('storage contract (%s): AU-2 audit lookup by jti and id', (backend) => {
  const h = useStorage(backend);

  it('finds the event that issued a jti among the given events, and nothing for other jtis', async () => {
    const audit = h.storage.audit;
    await audit.append(event('token_issued', { grant_type: 'authorization_code', jti: 'at_1' }), 1_000);
    const exchanged = await audit.append(event('token_exchanged', { jti: 'at_2', subject_jti: 'at_1' }), 1_001);
    await audit.append(event('token_revoked', { jti: 'at_2' }), 1_002);
    await audit.append(event('login_failed', null), 1_003);
    expect(await audit.findIssuance('at_2', ISSUING)).toEqual(exchanged);
    expect((await audit.findIssuance('at_1', ISSUING))?.data).toEqual({ grant_type: 'authorization_code', jti: 'at_1' });
    // Only the listed events count: the revocation names at_2 as well.
    expect((await audit.findIssuance('at_2', ['token_revoked']))?.event).toBe('token_revoked');
    expect(await audit.findIssuance('at_1', ['token_revoked'])).toBeNull();
    expect(await audit.findIssuance('at_3', ISSUING)).toBeNull();
    expect(await audit.findIssuance('at_1', [])).toBeNull();
  });

  it('returns the oldest of several matches; only a string data.jti counts, not a nested or subject one', async () => {
    const audit = h.storage.audit;
    await audit.append(event('token_exchanged', { jti: 'at_9', subject_jti: 'at_1' }), 1_000);
    await audit.append(event('token_issued', { jti: 7, act: { jti: 'at_1' } }), 1_001);
    const oldest = await audit.append(event('token_issued', { jti: 'at_1' }), 1_002);
    await audit.append(event('token_refreshed', { jti: 'at_1' }), 1_003);
    await audit.append(event('token_issued', { jti: '7' }), 1_004);
    expect((await audit.findIssuance('at_1', ISSUING))?.seq).toBe(oldest.seq);
    expect((await audit.findIssuance('7', ISSUING))?.seq).toBe(5);
  });

  it('skips a row whose unhashed jti copy was altered: the hashed data decides', async () => {
    const audit = h.storage.audit;
    const forged = await audit.append(event('token_issued', { jti: 'at_forged' }), 1_000);
    const genuine = await audit.append(event('token_issued', { jti: 'at_1' }), 1_001);
    await h.raw(`update audit_events set jti = 'at_1' where seq = ${forged.seq}`);
    expect((await audit.findIssuance('at_1', ISSUING))?.seq).toBe(genuine.seq);
    expect(await audit.findIssuance('at_forged', ISSUING)).toBeNull();
  });

  it('finds an event by id, null for an unknown id', async () => {
    const audit = h.storage.audit;
    await audit.append(event('token_issued', { jti: 'at_1' }), 1_000);
    const second = await audit.append(event('login_failed', null), 1_001);
    expect(await audit.findById(second.id)).toEqual(second);
    expect(await audit.findById('aud_missing')).toBeNull();
  });

  it('keeps the chain verifiable: the jti column is outside the hash', async () => {
    await h.storage.audit.append(event('token_issued', { jti: 'at_1' }), 1_000);
    await h.storage.audit.append(event('token_exchanged', { jti: 'at_2', subject_jti: 'at_1', note: 'nul \u0000 and lone \ud800' }), 1_001);
    expect((await h.storage.audit.findIssuance('at_2', ISSUING))?.data?.['note']).toBe('nul \u0000 and lone \ud800');
    expect(await verifyAuditChain(h.storage)).toEqual({ count: 2, broken: null });
  });

  it('migration 0009 backfills the column from rows written before it, page by page', async () => {
    const audit = h.storage.audit;
    await audit.append(event('token_issued', { jti: 'at_1', note: 'nul \u0000 and lone \ud800' }), 1_000);
    await audit.append(event('token_issued', { jti: 7, act: { jti: 'at_nested' } }), 1_001);
    await audit.append(event('login_failed', { reason: 'says "jti":"at_fake" in text' }), 1_002);
    await audit.append(event('token_exchanged', { jti: 'at_2', subject_jti: 'at_1' }), 1_003);
    // 2 500 more rows with a jti: the backfill pages through them (1 000 at a time).
    const legacyRows = backend === 'sqlite'
      ? 'with recursive g(n) as (select 5 union all select n + 1 from g where n < 2504) select n'
      : 'select n';
    const from = backend === 'sqlite' ? 'from g' : 'from generate_series(5, 2504) as g(n)';
    await h.raw(`insert into audit_events (seq, id, time, event, result, data, prev_hash, hash)
      ${legacyRows}, 'aud_' || n, n, 'token_issued', 'success', '{"jti":"at_' || n || '"}', 'x', 'x' ${from}`);
    // Back to the schema before 0009, as a database that never had it.
    await h.raw('drop index audit_events_jti');
    await h.raw('drop index audit_events_id');
    await h.raw('alter table audit_events drop column jti');
    // Later migrations too: a database before 0009 never ran them (0010 creates its indexes `if not exists`).
    await h.raw("delete from kysely_migration where name >= '0009-audit-jti'");
    await h.storage.migrate();
    expect(await h.raw('select seq, jti from audit_events where seq <= 4 order by seq')).toEqual([
      { seq: 1, jti: 'at_1' },
      { seq: 2, jti: null },
      { seq: 3, jti: null },
      { seq: 4, jti: 'at_2' },
    ].map((r) => (backend === 'postgres' ? { ...r, seq: String(r.seq) } : r)));
    expect(await h.raw("select count(*) as n from audit_events where seq > 4 and jti = 'at_' || seq")).toEqual([{ n: backend === 'postgres' ? '2500' : 2500 }]);
    expect((await audit.findIssuance('at_2504', ISSUING))?.seq).toBe(2504);
    expect((await audit.findIssuance('at_1', ISSUING))?.seq).toBe(1);
  });

  it('the lookups use the indexes, not a scan of the log', async () => {
    await fillAuditLog(h, backend);
    const explain = backend === 'sqlite' ? 'explain query plan' : 'explain';
    const byJti = planText(
      await h.raw(`${explain} select * from audit_events where jti = 'at_1' and event in ('token_exchanged', 'token_issued', 'token_refreshed') order by seq limit 1`),
    );
    const byId = planText(await h.raw(`${explain} select * from audit_events where id = 'aud_1' order by seq limit 1`));
    expect(byJti).toContain('audit_events_jti');
    expect(byId).toContain('audit_events_id');
  });
});
