/** Shared by the audit lookup contract tests (contract-audit-jti, contract-audit-id-token-jti). */
import type { AuditEventInput } from '../../src/storage/records.ts';

/** An audit event of alice at client-1, successful, with `data`. */
export function event(name: string, data: Record<string, unknown> | null): AuditEventInput {
  return { event: name, userId: 'usr_alice', clientId: 'client-1', result: 'success', data };
}

/** The plan's text, one string per backend, for "which index does this query use". */
export function planText(rows: Record<string, unknown>[]): string {
  return rows.map((r) => String(r['detail'] ?? r['QUERY PLAN'] ?? '')).join('\n');
}
