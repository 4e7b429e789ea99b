/**
 * CO-1 grant-less revocations (repositories/grants.ts revokeLiveGrantless: a client's, an agent's
 * client's and a user's live tokens on no grant) run under locks issuance waits for, so they must
 * read only that owner's live grant-less tokens: a range of access_tokens_grantless_client or
 * access_tokens_grantless_user (migration 0014), never a scan of access_tokens nor of every live
 * token (access_tokens_expires_at). Checked on the plans of the statements the storage really
 * sends (captured from its Kysely), on both backends; PostgreSQL with statistics of a populated
 * database, since its planner picks scans for tables it believes tiny.
 */
import { describe, expect, it } from 'vitest';
import type { CompiledQuery } from 'kysely';
import { capturingStorage, planOf } from './captured-statements.ts';
import { BACKENDS, agent, useStorage } from './fixtures.ts';

/** 40,000 tokens on grants, 15,000 client_credentials tokens of 100 clients, 5,000 user tokens on no grant (ID-JAG). */
const POPULATE = [
  `insert into access_tokens (jti, grant_id, client_id, user_id, scope, expires_at, created_at) select 'g' || i, 'g' || i, 'c' || (i % 50), 'u' || (i % 1000), 's', 1000 + i, 1 from generate_series(1, 40000) i`,
  `insert into access_tokens (jti, grant_id, client_id, user_id, scope, expires_at, created_at) select 'cc' || i, null, 'cc' || (i % 100), null, 's', 1000 + i, 1 from generate_series(1, 15000) i`,
  `insert into access_tokens (jti, grant_id, client_id, user_id, scope, expires_at, created_at) select 'jag' || i, null, 'p' || (i % 10), 'u' || (i % 1000), 's', 1000 + i, 1 from generate_series(1, 5000) i`,
  'analyze access_tokens', // this table only: the database holds other tests' schemas
];

describe.each(BACKENDS)('grant-less revocation plans (%s)', (backend) => {
  const h = useStorage(backend);

  it('CO-1 revokes a client\'s, an agent client\'s and a user\'s grant-less tokens through their partial indexes, without a scan', async () => {
    if (backend === 'postgres') for (const statement of POPULATE) await h.raw(statement);
    await h.storage.agents.create(agent({ id: 'agt_1', clientId: 'cc7' }));
    const sent: CompiledQuery[] = [];
    const storage = await capturingStorage(backend, h.url, sent);
    try {
      await storage.accessTokens.revokeGrantlessByClient('cc3', 900, 'client deleted');
      await storage.grants.revokeByAgent('agt_1', 900, 'agent deleted');
      await storage.grants.revokeByUser('u5', 900, 'user disabled');
    } finally {
      await storage.close();
    }
    const updates = sent.filter((q) => /^update "access_tokens"/.test(q.sql) && /"grant_id" is null/.test(q.sql));
    const owner = (q: CompiledQuery) => (/"user_id" = /.test(q.sql) ? 'user' : /"agents"/.test(q.sql) ? 'agent' : 'client');
    expect(updates.map(owner)).toEqual(['client', 'agent', 'user']);
    for (const query of updates) {
      const index = owner(query) === 'user' ? 'access_tokens_grantless_user' : 'access_tokens_grantless_client';
      const plan = await planOf(h, backend, query);
      if (backend === 'sqlite') {
        // The owner's equality, then the live range: one range of the owner's grant-less tokens.
        expect(plan, plan).toMatch(new RegExp(`^SEARCH access_tokens USING INDEX ${index} \\((client|user)_id=\\? AND expires_at>\\?\\)`, 'm'));
        expect(plan, plan).not.toMatch(/^SCAN access_tokens/m);
      } else {
        expect(plan, plan).toMatch(new RegExp(`Index Scan using ${index} |Bitmap Index Scan on ${index} `));
        expect(plan, plan).toMatch(/Index Cond: \(\(\w+ = .*expires_at > /);
        expect(plan, plan).not.toMatch(/Seq Scan on access_tokens|access_tokens_expires_at/);
      }
    }
    // PostgreSQL: the agent's and the user's revocations lock those same rows first (derived-grants.ts lockGrantlessRevocation).
    const locks = sent.filter((q) => /^select "jti" from "access_tokens"/.test(q.sql) && /for update$/.test(q.sql));
    expect(locks.map(owner)).toEqual(backend === 'postgres' ? ['agent', 'user'] : []);
    for (const query of locks) {
      const plan = await planOf(h, backend, query);
      expect(plan, plan).toMatch(new RegExp(`(Index Scan using|Bitmap Index Scan on) ${owner(query) === 'user' ? 'access_tokens_grantless_user' : 'access_tokens_grantless_client'} `));
      expect(plan, plan).not.toMatch(/Seq Scan on access_tokens|access_tokens_expires_at/);
    }
  });
});
