/**
 * The retention purges of sessions, codes and refresh tokens (storage/maintenance.ts) must cost
 * what their chunk costs, not what the tables hold: every table access of their statements is an
 * index lookup (primary key, grant_id, parent_grant_id, the expiry indexes of migration 0010),
 * never a scan of a whole token, session or grant table. Sessions and codes walk their expiry
 * index in its own order (no sort); the live-grant probe reads refresh_tokens_grant_expiry backwards. Checked on the plans both backends make; PostgreSQL with statistics of a populated
 * database, since its planner picks scans for tables it believes tiny.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, useStorage } from './fixtures.ts';
import { purgeStatement as accessTokensPurge } from '../../src/storage/repositories/access-tokens.ts';
import { PAGE as CODES_PAGE, purgeStatement as codesPurge } from '../../src/storage/repositories/codes.ts';
import { PAGE as REFRESH_PAGE, purgeStatement as refreshPurge } from '../../src/storage/repositories/refresh-tokens.ts';
import { PAGE as SESSIONS_PAGE, purgeStatement as sessionsPurge } from '../../src/storage/repositories/sessions.ts';
import type { Backend } from '../helpers/isolated-database.ts';

/** Literal parameters: EXPLAIN without a prepared statement. JSON lists for the list placeholders. */
function withLiterals(text: string): string {
  return text.replace(/\?(::json)?/g, (_m, json: string | undefined) => (json ? `'["a","b"]'::json` : "'1'"));
}

const POPULATE = [
  `insert into grants (id, client_id, parent_grant_id, scope, resources, created_at, revoked_at) select 'g' || i, 'c', case when i % 10 = 0 then 'g' || (i - 1) end, 's', '[]', 1, case when i % 7 = 0 then 5 end from generate_series(1, 50000) i`,
  `insert into refresh_tokens (token_hash, id, grant_id, client_id, scope, resources, amr, created_at, expires_at) select 'r' || i, 'r' || i, 'g' || i, 'c', 's', '[]', '[]', 1, 1000 from generate_series(1, 50000) i`,
  `insert into access_tokens (jti, grant_id, client_id, scope, expires_at, created_at) select 'a' || i, 'g' || i, 'c', 's', 1000, 1 from generate_series(1, 50000) i`,
  `insert into authorization_codes (code_hash, grant_id, client_id, user_id, redirect_uri, code_challenge, code_challenge_method, scope, resources, auth_time, acr, amr, created_at, expires_at) select 'c' || i, 'g' || i, 'c', 'u', 'u', 'x', 'S256', 's', '[]', 1, 'x', '[]', 1, 1000 from generate_series(1, 50000) i`,
  `insert into sessions (id_hash, user_id, auth_time, acr, amr, created_at, expires_at) select 's' || i, 'u', 1, 'x', '[]', 1, 1000 + i from generate_series(1, 50000) i`,
  'analyze',
];

describe.each(BACKENDS)('retention purge plans (%s)', (backend) => {
  const h = useStorage(backend);

  it('reads chunks and deletes them by index only', async () => {
    if (backend === 'postgres') for (const statement of POPULATE) await h.raw(statement);
    const statements = [CODES_PAGE, REFRESH_PAGE, SESSIONS_PAGE, codesPurge(backend), refreshPurge(backend), sessionsPurge(backend)];
    for (const text of statements) {
      const plan = await planOf(h.raw, backend, text);
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

  it('walks sessions and codes as one range of their expiry index, in its order (migration 0010)', async () => {
    if (backend === 'postgres') for (const statement of POPULATE) await h.raw(statement);
    for (const [text, index] of [[SESSIONS_PAGE, 'sessions_expires_at'], [CODES_PAGE, 'authorization_codes_expires_at']] as const) {
      const plan = await planOf(h.raw, backend, text);
      if (backend === 'sqlite') expect(plan, plan).toMatch(new RegExp(`^SEARCH \\w+ USING (COVERING )?INDEX ${index} \\(`, 'm'));
      else expect(plan, plan).toMatch(new RegExp(`Index (Only )?Scan using ${index} on`));
      // The index's order is the walk's order: no sort of the range.
      expect(plan, plan).not.toMatch(/TEMP B-TREE|Sort/);
    }
  });

  it('deletes a session chunk by its keys, not by a range of the expiry index', async () => {
    if (backend === 'postgres') for (const statement of POPULATE) await h.raw(statement);
    const plan = await planOf(h.raw, backend, sessionsPurge(backend));
    if (backend === 'sqlite') expect(plan, plan).toMatch(/SEARCH sessions USING (COVERING )?INDEX sqlite_autoindex_sessions_1 \(id_hash=\?\)/);
    else expect(plan, plan).toMatch(/Index Cond: \(id_hash = ANY/);
  });

  it('purges an access-token chunk through access_tokens_expires_at and deletes it by jti, without a scan or sort', async () => {
    if (backend === 'postgres') for (const statement of POPULATE) await h.raw(statement);
    const plan = await planOf(h.raw, backend, accessTokensPurge(backend));
    if (backend === 'sqlite') {
      expect(plan, plan).toMatch(/^SEARCH access_tokens USING (COVERING )?INDEX access_tokens_expires_at \(expires_at<\?\)/m);
      expect(plan, plan).toMatch(/SEARCH access_tokens USING (COVERING )?INDEX sqlite_autoindex_access_tokens_1 \(jti=\?\)/);
      expect(plan, plan).not.toMatch(/^SCAN |TEMP B-TREE/m);
    } else {
      expect(plan, plan).toMatch(/Index (Only )?Scan using access_tokens_expires_at on access_tokens/);
      expect(plan, plan).toMatch(/Index Cond: \(jti = ANY/);
      expect(plan, plan).not.toMatch(/Seq Scan|Sort/);
    }
  });

  it("probes a tree node's refresh tokens through refresh_tokens_grant_expiry, newest first (the family head, not its rotated history)", async () => {
    if (backend === 'postgres') for (const statement of POPULATE) await h.raw(statement);
    for (const text of [codesPurge(backend), refreshPurge(backend)]) {
      const plan = await planOf(h.raw, backend, text);
      if (backend === 'sqlite') {
        expect(plan, plan).toMatch(/SEARCH r USING (COVERING )?INDEX refresh_tokens_grant_expiry \(grant_id=\? AND expires_at>\?\)/);
        expect(plan, plan).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/); // the index's order, read backwards
      } else expect(plan, plan).toMatch(/Index Scan Backward using refresh_tokens_grant_expiry on refresh_tokens r/);
    }
  });
});

async function planOf(raw: (statement: string) => Promise<Record<string, unknown>[]>, backend: Backend, text: string): Promise<string> {
  const prefix = backend === 'sqlite' ? 'explain query plan ' : 'explain ';
  const rows = await raw(prefix + (backend === 'sqlite' ? text.replace(/\?/g, "'1'") : withLiterals(text)));
  return rows.map((r) => String(r['detail'] ?? r['QUERY PLAN'])).join('\n');
}
