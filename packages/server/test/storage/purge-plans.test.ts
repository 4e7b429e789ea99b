/**
 * The retention purges of codes and refresh tokens (storage/maintenance.ts) must cost what their
 * chunk costs, not what the token tables hold: every table access of their statements is an
 * index lookup (primary key, grant_id, parent_grant_id), never a scan of a whole token or grant
 * table. Checked on the plans both backends make; PostgreSQL with statistics of a populated
 * database, since its planner picks scans for tables it believes tiny.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, useStorage } from './fixtures.ts';
import { PAGE as CODES_PAGE, purgeStatement as codesPurge } from '../../src/storage/repositories/codes.ts';
import { PAGE as REFRESH_PAGE, purgeStatement as refreshPurge } from '../../src/storage/repositories/refresh-tokens.ts';

/** Literal parameters: EXPLAIN without a prepared statement. JSON lists for the list placeholders. */
function withLiterals(text: string): string {
  return text.replace(/\?(::json)?/g, (_m, json: string | undefined) => (json ? `'["a","b"]'::json` : "'1'"));
}

const POPULATE = [
  `insert into grants (id, client_id, parent_grant_id, scope, resources, created_at, revoked_at) select 'g' || i, 'c', case when i % 10 = 0 then 'g' || (i - 1) end, 's', '[]', 1, case when i % 7 = 0 then 5 end from generate_series(1, 50000) i`,
  `insert into refresh_tokens (token_hash, id, grant_id, client_id, scope, resources, amr, created_at, expires_at) select 'r' || i, 'r' || i, 'g' || i, 'c', 's', '[]', '[]', 1, 1000 from generate_series(1, 50000) i`,
  `insert into access_tokens (jti, grant_id, client_id, scope, expires_at, created_at) select 'a' || i, 'g' || i, 'c', 's', 1000, 1 from generate_series(1, 50000) i`,
  `insert into authorization_codes (code_hash, grant_id, client_id, user_id, redirect_uri, code_challenge, code_challenge_method, scope, resources, auth_time, acr, amr, created_at, expires_at) select 'c' || i, 'g' || i, 'c', 'u', 'u', 'x', 'S256', 's', '[]', 1, 'x', '[]', 1, 1000 from generate_series(1, 50000) i`,
  'analyze',
];

describe.each(BACKENDS)('retention purge plans (%s)', (backend) => {
  const h = useStorage(backend);

  it('reads chunks and deletes them by index only', async () => {
    if (backend === 'postgres') for (const statement of POPULATE) await h.raw(statement);
    const statements = [CODES_PAGE, REFRESH_PAGE, codesPurge(backend), refreshPurge(backend)];
    for (const text of statements) {
      const prefix = backend === 'sqlite' ? 'explain query plan ' : 'explain ';
      const rows = await h.raw(prefix + (backend === 'sqlite' ? text.replace(/\?/g, "'1'") : withLiterals(text)));
      const plan = rows.map((r) => String(r['detail'] ?? r['QUERY PLAN'])).join('\n');
      if (backend === 'sqlite') {
        // "SEARCH" is an index lookup, "SCAN x" a full scan (x may be an alias): only the JSON list
        // and the recursive CTE's own rows (t) may be scanned.
        expect(plan, plan).not.toMatch(/^SCAN (?!json_each\b|t\b)/m);
      } else {
        expect(plan, plan).not.toMatch(/Seq Scan on (grants|refresh_tokens|access_tokens|authorization_codes)\b/);
      }
      // The delete starts from the chunk's keys, not from a walk of the primary-key index.
      if (backend === 'postgres' && text.startsWith('with')) expect(plan, plan).toMatch(/Index Cond: \((code_hash|token_hash) = ANY/);
    }
  });
});
