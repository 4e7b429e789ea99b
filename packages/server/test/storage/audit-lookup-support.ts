/** Shared by the audit lookup contract tests (contract-audit-jti, contract-audit-id-token-jti). */
import type { AuditEventInput } from '../../src/storage/records.ts';
import type { StorageHandle } from './fixtures.ts';

/** An audit event of alice at client-1, successful, with `data`. */
export function event(name: string, data: Record<string, unknown> | null): AuditEventInput {
  return { event: name, userId: 'usr_alice', clientId: 'client-1', result: 'success', data };
}

/** The plan's text, one string per backend, for "which index does this query use". */
export function planText(rows: Record<string, unknown>[]): string {
  return rows.map((r) => String(r['detail'] ?? r['QUERY PLAN'] ?? '')).join('\n');
}

/**
 * Fills audit_events with 5,000 rows (seq and id n, data naming `at_<n>` and, with `idTokens`,
 * `idt_<n>`) and analyses it: a log big enough, with statistics, that a scan would be the
 * planner's choice without an index. Not hash-chained: for plans only.
 */
export async function fillAuditLog(h: StorageHandle, backend: string, idTokens = false): Promise<void> {
  const data = idTokens ? `'{"id_token_jti":"idt_' || n || '","jti":"at_' || n || '"}'` : `'{"jti":"at_' || n || '"}'`;
  const columns = `n, 'aud_' || n, n, 'token_issued', 'success', ${data}, 'x', 'x', 'at_' || n${idTokens ? ", 'idt_' || n" : ''}`;
  const insert = `insert into audit_events (seq, id, time, event, result, data, prev_hash, hash, jti${idTokens ? ', id_token_jti' : ''}) `;
  await h.raw(
    backend === 'sqlite'
      ? `${insert}with recursive g(n) as (select 1 union all select n + 1 from g where n < 5000) select ${columns} from g`
      : `${insert}select ${columns} from generate_series(1, 5000) as g(n)`,
  );
  await h.raw('analyze audit_events');
}
