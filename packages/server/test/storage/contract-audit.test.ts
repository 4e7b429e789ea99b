/**
 * AU-1 audit log: append-only, hash-chained (audit/chain.ts), serialised across instances,
 * and verified by `npm run audit:verify` (cli/verify-audit.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, auditRowHash, verifyAuditRows } from '../../src/audit/chain.ts';
import { formatReport, main, verifyAuditChain } from '../../src/cli/verify-audit.ts';
import { openStorage } from '../../src/storage/open.ts';
import type { Storage } from '../../src/storage/storage.ts';
import type { AuditEventInput } from '../../src/storage/records.ts';
import { BACKENDS, useStorage } from './fixtures.ts';

const issued: AuditEventInput = {
  event: 'token.issued',
  userId: 'usr_alice',
  clientId: 'client-1',
  agentId: null,
  requestedScope: 'openid files:read files:write',
  grantedScope: 'openid files:read',
  resource: 'https://mcp.example/',
  ip: '127.0.0.1',
  result: 'success',
  reason: null,
  data: { jti: 'at_1', grant: { id: 'grt_1', parent: null }, dropped: undefined },
};

describe.each(BACKENDS)('storage contract (%s): AU-1 audit chain', (backend) => {
  const h = useStorage(backend);
  const extra: Storage[] = [];
  afterEach(async () => {
    await Promise.all(extra.splice(0).map((s) => s.close()));
  });

  async function appendMany(n: number, storage: Storage = h.storage): Promise<void> {
    for (let i = 0; i < n; i++) {
      await storage.audit.append({ event: i % 2 ? 'login.failed' : 'token.issued', clientId: `client-${i % 3}`, userId: i % 2 ? 'usr_bob' : null, result: i % 2 ? 'failure' : 'success', reason: i % 2 ? 'bad_password' : null }, 1_000 + i);
    }
  }

  it('append assigns seq, id and the chained hash, and list returns exactly what was hashed', async () => {
    const first = await h.storage.audit.append(issued, 1_700_000_000);
    const second = await h.storage.audit.append({ event: 'consent.granted', result: 'success' }, 1_700_000_001);
    expect(first).toMatchObject({ seq: 1, time: 1_700_000_000, prevHash: GENESIS_HASH, userId: 'usr_alice', data: { jti: 'at_1', grant: { id: 'grt_1', parent: null } } });
    expect(first.id).toMatch(/^aud_[A-Za-z0-9_-]{16,}$/);
    expect(first.hash).toBe(auditRowHash(first));
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash, userId: null, clientId: null, ip: null, reason: null, data: null });
    const rows = await h.storage.audit.list({});
    expect(rows).toEqual([first, second]);
    expect(verifyAuditRows(rows)).toEqual({ lastHash: second.hash, broken: null });
  });

  it('list filters by afterSeq, user, client and event, in ascending seq, bounded by limit', async () => {
    await appendMany(9);
    expect((await h.storage.audit.list({ afterSeq: 6 })).map((r) => r.seq)).toEqual([7, 8, 9]);
    expect((await h.storage.audit.list({ userId: 'usr_bob' })).map((r) => r.seq)).toEqual([2, 4, 6, 8]);
    expect((await h.storage.audit.list({ clientId: 'client-0' })).map((r) => r.seq)).toEqual([1, 4, 7]);
    expect((await h.storage.audit.list({ event: 'login.failed', afterSeq: 2, limit: 2 })).map((r) => r.seq)).toEqual([4, 6]);
  });

  it('concurrent appends keep one unbroken chain with gapless seq', async () => {
    // PostgreSQL: two instances sharing the schema, serialised by the advisory lock.
    // SQLite: one process owns the file; its appends interleave on one connection.
    const other = backend === 'postgres' ? await openStorage(h.url) : h.storage;
    if (other !== h.storage) extra.push(other);
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => h.storage.audit.append({ event: 'a', result: 'success', data: { i } }, 100)),
      ...Array.from({ length: 10 }, (_, i) => other.audit.append({ event: 'b', result: 'success', data: { i } }, 100)),
    ]);
    const rows = await h.storage.audit.list({});
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(verifyAuditRows(rows).broken).toBeNull();
  });

  it('a row changed behind the server is detected as a hash mismatch at its seq', async () => {
    await appendMany(5);
    await h.raw("update audit_events set reason = 'nothing to see' where seq = 3");
    expect(verifyAuditRows(await h.storage.audit.list({})).broken).toEqual({ seq: 3, reason: 'hash_mismatch' });
  });

  it('a row deleted from the middle breaks the link of the next one', async () => {
    await appendMany(5);
    await h.raw('delete from audit_events where seq = 2');
    expect(verifyAuditRows(await h.storage.audit.list({})).broken).toEqual({ seq: 3, reason: 'prev_hash_mismatch' });
  });

  describe('npm run audit:verify', () => {
    it('walks the chain page by page and reports the count', async () => {
      await appendMany(7);
      const report = await verifyAuditChain(h.storage, 3);
      expect(report).toEqual({ count: 7, broken: null });
      expect(formatReport(report)).toBe('audit chain OK: 7 events');
      expect(await verifyAuditChain(h.storage)).toEqual({ count: 7, broken: null });
    });

    it('reports the first break on a later page with the events verified before it', async () => {
      await appendMany(7);
      await h.raw("update audit_events set client_id = 'forged' where seq = 5");
      const report = await verifyAuditChain(h.storage, 3);
      expect(report).toEqual({ count: 4, broken: { seq: 5, reason: 'hash_mismatch' } });
      expect(formatReport(report)).toBe('audit chain BROKEN at seq 5: hash_mismatch (4 events verified before it)');
    });

    it('main() exits 0 on an intact chain and 1 on a broken one, reading MANDATE_DATABASE_URL', async () => {
      await appendMany(2);
      const lines: string[] = [];
      expect(await main({ MANDATE_DATABASE_URL: h.url }, (l) => lines.push(l))).toBe(0);
      await h.raw('update audit_events set time = 1 where seq = 1');
      expect(await main({ MANDATE_DATABASE_URL: h.url }, (l) => lines.push(l))).toBe(1);
      expect(lines).toEqual(['audit chain OK: 2 events', 'audit chain BROKEN at seq 1: hash_mismatch (0 events verified before it)']);
    });
  });
});

describe('npm run audit:verify without a database', () => {
  it('exits 1 instead of creating an empty SQLite file and calling it verified', async () => {
    const lines: string[] = [];
    expect(await main({ MANDATE_DATA_DIR: '/nonexistent/mandate-data' }, (l) => lines.push(l))).toBe(1);
    expect(lines).toEqual(['audit chain not verified: no database at /nonexistent/mandate-data/mandate.sqlite']);
  });
});
