/**
 * The audit hash (src/audit/chain.ts) is a stored format: rows hashed by an earlier version must
 * still verify. These pin the canonical JSON and the hash of one row whose data has every case
 * the key sorting must keep: nesting, arrays, integer-like keys (which objects always list first),
 * and a `__proto__` key as JSON.parse makes it (an own property, not the prototype).
 */
import { describe, expect, it } from 'vitest';
import { auditRowHash, canonicalAuditJson, GENESIS_HASH, verifyAuditRows } from '../../src/audit/chain.ts';
import type { AuditEventRecord } from '../../src/storage/records.ts';

const data = JSON.parse('{"z":[{"b":2,"a":1},3,null],"10":"ten","9":"nine","__proto__":{"y":true,"x":false},"act":{"sub":"agt_2","act":{"sub":"agt_1"}},"a":"é\\u2028"}') as Record<string, unknown>;

const row = {
  id: 'aud_fixed',
  time: 1_700_000_000,
  event: 'token_exchanged',
  userId: 'usr_1',
  clientId: 'orchestrator',
  agentId: 'agt_2',
  requestedScope: 'mcp:read',
  grantedScope: 'mcp:read',
  resource: 'https://mcp.example/mcp',
  ip: '127.0.0.1',
  result: 'success' as const,
  reason: null,
  data,
  prevHash: GENESIS_HASH,
};

describe('audit hash chain: canonical form (AU-1)', () => {
  it('sorts keys at every depth, integer-like keys first, and keeps a __proto__ key as data', () => {
    expect(canonicalAuditJson(row)).toBe(
      '["aud_fixed",1700000000,"token_exchanged","usr_1","orchestrator","agt_2","mcp:read","mcp:read","https://mcp.example/mcp","127.0.0.1","success",null,' +
        '{"9":"nine","10":"ten","__proto__":{"x":false,"y":true},"a":"é\u2028","act":{"act":{"sub":"agt_1"},"sub":"agt_2"},"z":[{"a":1,"b":2},3,null]},' +
        '"0000000000000000000000000000000000000000000000000000000000000000"]',
    );
  });

  it('hashes a row exactly as rows already stored were hashed', () => {
    expect(auditRowHash(row)).toBe('db724155564e6caad9f92948b035b3c0d70db91efb09f2a7355a46727e9187fc');
  });

  it('does not depend on the key order of the data it is given', () => {
    const reordered = { ...row, data: JSON.parse(JSON.stringify({ a: data.a, act: data.act, z: data.z, 9: data['9'], 10: data['10'] })) as Record<string, unknown> };
    Object.defineProperty(reordered.data, '__proto__', { value: { x: false, y: true }, enumerable: true, configurable: true, writable: true });
    expect(auditRowHash(reordered)).toBe(auditRowHash(row));
    const stored: AuditEventRecord = { seq: 1, ...row, hash: auditRowHash(row) };
    expect(verifyAuditRows([stored]).broken).toBeNull();
  });
});
