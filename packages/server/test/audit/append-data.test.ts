/**
 * AU-1: the append path hashes a sorted copy of plain event data rather than parsing its JSON
 * text back (storage/repositories/audit-append.ts). What is stored, what is hashed and what a
 * reader gets back must stay one and the same, on both backends.
 */
import { describe, expect, it } from 'vitest';
import { auditRowHash, verifyAuditRows } from '../../src/audit/chain.ts';
import { BACKENDS, useStorage } from '../storage/fixtures.ts';

describe.each(BACKENDS)('audit append (%s): data as stored is data as hashed', (backend) => {
  const h = useStorage(backend);

  it('plain data, data JSON transforms, and data changed by the caller after append all verify', async () => {
    const plain = { z: 1, a: { y: [1, 'two', null], x: true }, dropped: undefined };
    const transformed = { when: new Date(0), n: Number.NaN };
    const changedLater: Record<string, unknown> = { jti: 'at_1', actors: ['agt_1'] };
    const appended = [
      await h.storage.audit.append({ event: 'a', result: 'success', data: plain }, 100),
      await h.storage.audit.append({ event: 'b', result: 'success', data: transformed }, 101),
    ];
    const pending = h.storage.audit.append({ event: 'c', result: 'success', data: changedLater }, 102);
    changedLater.jti = 'at_2'; // after the call, before the write: the row keeps what was passed
    (changedLater.actors as string[]).push('agt_2');
    appended.push(await pending);

    const rows = await h.storage.audit.list({});
    expect(rows).toEqual(appended);
    expect(rows.map((r) => r.data)).toEqual([
      { a: { x: true, y: [1, 'two', null] }, z: 1 },
      { when: '1970-01-01T00:00:00.000Z', n: null },
      { jti: 'at_1', actors: ['agt_1'] },
    ]);
    for (const row of rows) expect(auditRowHash(row)).toBe(row.hash);
    expect(verifyAuditRows(rows).broken).toBeNull();
  });
});
