/**
 * ID-2 migration 0012-agent-suspended-by, on SQLite and PostgreSQL: agents suspended before the
 * column existed read as suspended by an administrator (only an administrator may lift them);
 * active rows stay null; running it again (a database that already has the column) keeps an
 * owner's mark.
 */
import { describe, expect, it } from 'vitest';
import { Kysely } from 'kysely';
import { agentSuspendedByMigration } from '../../src/storage/migrations/0012-agent-suspended-by.ts';
import { postgresDialect } from '../../src/storage/postgres.ts';
import { sqliteDialect } from '../../src/storage/sqlite.ts';
import { BACKENDS, agent, useStorage } from './fixtures.ts';

describe.each(BACKENDS)('storage contract (%s): migration 0012 agents.suspended_by', (backend) => {
  const h = useStorage(backend);

  async function runMigration(): Promise<void> {
    const dialect = backend === 'sqlite' ? sqliteDialect(h.url) : (await postgresDialect(h.url)).dialect;
    const db = new Kysely<unknown>({ dialect });
    try {
      await agentSuspendedByMigration(backend).up(db);
    } finally {
      await db.destroy();
    }
  }

  it('ID-2 marks rows suspended before it as an administrator\'s, leaves active rows null, and runs again safely', async () => {
    await h.storage.agents.create(agent({ id: 'agt_old', clientId: null, status: 'suspended', suspendedBy: 'admin' }));
    await h.storage.agents.create(agent({ id: 'agt_live', clientId: null }));
    await h.storage.agents.create(agent({ id: 'agt_own', clientId: null, status: 'suspended', suspendedBy: 'owner' }));
    // Back to the schema before 0012.
    await h.raw('alter table agents drop column suspended_by');
    await runMigration();
    const rows = await h.raw("select id, suspended_by from agents where id in ('agt_old', 'agt_live') order by id");
    expect(rows).toEqual([{ id: 'agt_live', suspended_by: null }, { id: 'agt_old', suspended_by: 'admin' }]);

    await h.raw("update agents set suspended_by = 'owner' where id = 'agt_own'");
    await runMigration(); // the column exists now
    expect((await h.storage.agents.get('agt_own'))?.suspendedBy).toBe('owner');
    expect((await h.storage.agents.get('agt_old'))?.suspendedBy).toBe('admin');
  });
});
