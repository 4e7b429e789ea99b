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
    // (One statement returning only a count: the locked jtis are not read back.)
    const locks = sent.filter((q) => /^select count\(\*\) as n from \(select "jti" from "access_tokens"/.test(q.sql) && /for update\) as s$/.test(q.sql));
    expect(locks.map(owner)).toEqual(backend === 'postgres' ? ['agent', 'user'] : []);
    for (const query of locks) {
      const plan = await planOf(h, backend, query);
      expect(plan, plan).toMatch(new RegExp(`(Index Scan using|Bitmap Index Scan on) ${owner(query) === 'user' ? 'access_tokens_grantless_user' : 'access_tokens_grantless_client'} `));
      expect(plan, plan).not.toMatch(/Seq Scan on access_tokens|access_tokens_expires_at/);
    }
  });

  // PostgreSQL only: SQLite serialises whole transactions and takes none of these row locks.
  it.skipIf(backend !== 'postgres')(
    'CO-1 locks a deleted client\'s, a suspended agent\'s, a disabled user\'s and a deprovisioned user\'s trees and grant-less tokens through indexes, without a scan of grants or access_tokens',
    async () => {
      for (const statement of POPULATE.slice(0, -1)) await h.raw(statement);
      // 60,000 grants: 50 clients, 1,000 users, every tenth acting for one of 500 agents, every
      // fifth exchanged from a token (of those above: grant-less ones of clients cc*, of p* for users).
      await h.raw(
        `insert into grants (id, user_id, client_id, agent_id, scope, resources, created_at, subject_token_jti)
         select 'gr' || lpad(i::text, 6, '0'), 'u' || (i % 1000), 'c' || (i % 50), case when i % 10 = 0 then 'agt_' || (i % 500) end, 's', '[]', 1,
           case when i % 5 = 0 then (case when i % 3 = 0 then 'cc' || (i % 15000) else 'jag' || (i % 5000) end) end
         from generate_series(1, 60000) i`,
      );
      await h.raw(`insert into grants (id, user_id, client_id, parent_grant_id, scope, resources, created_at) select 'gs' || lpad(i::text, 6, '0'), 'u' || (i % 1000), 'c' || (i % 50), 'gr' || lpad(i::text, 6, '0'), 's', '[]', 1 from generate_series(1, 60000, 7) i`);
      await h.raw('analyze grants');
      await h.raw('analyze access_tokens');
      await h.storage.agents.create(agent({ id: 'agt_1', clientId: 'cc7' }));
      await h.storage.agents.create(agent({ id: 'agt_2', clientId: 'cc8', ownerUserId: 'u5' }));
      const sent: CompiledQuery[] = [];
      const storage = await capturingStorage(backend, h.url, sent);
      try {
        await storage.grants.lockClientTrees('cc3', 900);
        await storage.grants.revokeByAgent('agt_1', 900, 'agent suspended');
        await storage.grants.revokeByUser('u6', 900, 'user disabled');
        await storage.grants.lockUserTrees('u5', 900);
      } finally {
        await storage.close();
      }
      const grantLocks = sent.filter((q) => /\bgrants\b/.test(q.sql) && /for update\s*$/.test(q.sql));
      const tokenLocks = sent.filter((q) => /"access_tokens"|\baccess_tokens\b/.test(q.sql) && /for update/.test(q.sql) && !/\bgrants\b/.test(q.sql));
      // Each of the four: its trees with what was exchanged from its tokens, those tokens, what
      // was exchanged from them meanwhile (lockGrantlessRevocation); the agent's and the user's
      // revocations then lock, as every tree revocation, their own seeds again (lockSeeds).
      expect(grantLocks.length, grantLocks.map((q) => q.sql).join('\n')).toBeGreaterThanOrEqual(8);
      expect(tokenLocks.length, tokenLocks.map((q) => q.sql).join('\n')).toBe(4);
      for (const query of [...grantLocks, ...tokenLocks]) {
        const plan = await planOf(h, backend, query);
        expect(plan, `${query.sql}\n${plan}`).not.toMatch(/Seq Scan on (grants|access_tokens)\b/);
        expect(plan, `${query.sql}\n${plan}`).toMatch(/^LockRows|->\s+LockRows/m); // the rows are locked, not only counted
      }
      // Every owner's own index is used somewhere.
      const plans = (await Promise.all([...grantLocks, ...tokenLocks].map((q) => planOf(h, backend, q)))).join('\n');
      for (const index of ['grants_client_id', 'grants_agent_id', 'grants_user_id', 'grants_subject_token_jti', 'access_tokens_grantless_client', 'access_tokens_grantless_user']) {
        expect(plans, plans).toMatch(new RegExp(`(Index Scan using|Index Only Scan using|Bitmap Index Scan on) ${index} `));
      }
    },
  );
});
