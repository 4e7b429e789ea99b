/**
 * The append path hashes a sorted copy of the event's data instead of a JSON round trip of it
 * (src/audit/chain.ts sortedJsonCopy). The chain must not change: for plain data the copy hashes
 * and reads back exactly as the round trip does, and anything JSON would transform is refused so
 * the caller takes the round trip.
 */
import { describe, expect, it } from 'vitest';
import { auditRowHash, auditRowHashOfSortedData, GENESIS_HASH, sortedJsonCopy } from '../../src/audit/chain.ts';

const row = {
  id: 'aud_fixed', time: 1_700_000_000, event: 'token_exchanged', userId: 'usr_1', clientId: 'orchestrator', agentId: null,
  requestedScope: null, grantedScope: 'mcp:read', resource: null, ip: null, result: 'success' as const, reason: null, prevHash: GENESIS_HASH,
};

const plain: Record<string, unknown> = {
  z: [{ b: 2, a: 1 }, 3, null, 'x', true],
  10: 'ten',
  9: 'nine',
  act: { sub: 'agt_2', act: { sub: 'agt_1' } },
  dropped: undefined,
  a: 'é\u2028\ud800',
  n: 1e21,
  empty: {},
  none: [],
};
Object.defineProperty(plain, '__proto__', { value: { y: true, x: false }, enumerable: true, configurable: true, writable: true });

describe('audit hash chain: sorted copy of plain data (AU-1)', () => {
  it('hashes and reads back exactly as the JSON round trip does', () => {
    const roundTrip = JSON.parse(JSON.stringify(plain)) as Record<string, unknown>;
    const sorted = sortedJsonCopy(plain) as Record<string, unknown>;
    expect(auditRowHashOfSortedData({ ...row, data: sorted })).toBe(auditRowHash({ ...row, data: roundTrip }));
    expect(sorted).toStrictEqual(roundTrip);
    expect(Object.keys(sorted)).toEqual(['9', '10', '__proto__', 'a', 'act', 'empty', 'n', 'none', 'z']);
    expect(Object.getPrototypeOf(sorted)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(sorted.__proto__)).toBe(Object.prototype);
  });

  it('refuses data that JSON would transform, so the caller takes the round trip', () => {
    class Point { x = 1; }
    for (const value of [new Date(0), Number.NaN, Infinity, -0, [undefined], [1, , 3], new Point(), () => 1, Symbol('s'), 1n, new String('s'), { toJSON: () => 1 }]) {
      expect(sortedJsonCopy({ nested: { value } })).toBeUndefined();
    }
  });
});
