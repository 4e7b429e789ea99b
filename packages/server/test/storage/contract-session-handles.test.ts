/**
 * CO-1 session handles (migration 0014), on SQLite and PostgreSQL: sessions.getByHandle finds a
 * user's session by the one-way handle the APIs name it by (sessions/session-handle.ts), ended
 * sessions included, never another user's, in one lookup of sessions_user_handle; sessions
 * created before 0014 get their handle from the migration's backfill, with the same derivation.
 */
import { describe, expect, it } from 'vitest';
import { Kysely, type CompiledQuery } from 'kysely';
import { sessionHandlesGrantlessIndexesMigration } from '../../src/storage/migrations/0014-session-handles-grantless-indexes.ts';
import { postgresDialect } from '../../src/storage/postgres.ts';
import { sqliteDialect } from '../../src/storage/sqlite.ts';
import { sessionHandle } from '../../src/sessions/session-handle.ts';
import { capturingStorage, planOf } from './captured-statements.ts';
import { BACKENDS, session, useStorage } from './fixtures.ts';

const LATER = 1_800_000_000;

describe.each(BACKENDS)('storage contract (%s): session handles (migration 0014)', (backend) => {
  const h = useStorage(backend);

  /** A Kysely of its own on the test's database, as the migrator runs migrations. */
  async function migrationDb(): Promise<Kysely<unknown>> {
    const dialect = backend === 'sqlite' ? sqliteDialect(h.url) : (await postgresDialect(h.url)).dialect;
    return new Kysely<unknown>({ dialect });
  }

  it('CO-1 getByHandle finds the user\'s session, ended ones included; another user\'s handle or an unknown one is null', async () => {
    await h.storage.sessions.create(session('s-live', LATER));
    await h.storage.sessions.create(session('s-revoked', LATER, 900));
    await h.storage.sessions.create({ ...session('s-bob', LATER), userId: 'usr_bob' });

    expect(await h.storage.sessions.getByHandle('usr_alice', sessionHandle('s-live'))).toEqual(session('s-live', LATER));
    expect((await h.storage.sessions.getByHandle('usr_alice', sessionHandle('s-revoked')))?.revokedAt).toBe(900);
    expect(await h.storage.sessions.getByHandle('usr_alice', sessionHandle('s-bob'))).toBeNull();
    expect((await h.storage.sessions.getByHandle('usr_bob', sessionHandle('s-bob')))?.idHash).toBe('s-bob');
    expect(await h.storage.sessions.getByHandle('usr_alice', sessionHandle('s-none'))).toBeNull();
    // The handle is a one-way name, never the stored key itself.
    expect(await h.storage.sessions.getByHandle('usr_alice', 's-live')).toBeNull();
    const [row] = await h.raw("select handle from sessions where id_hash = 's-live'");
    expect(row?.['handle']).toBe(sessionHandle('s-live'));
    expect(row?.['handle']).not.toContain('s-live');
  });

  it('backfills the handle of sessions created before it, in chunks, and runs again safely', async () => {
    // Back to the schema before 0014, and rows written in it: more than one backfill chunk (500),
    // so the keyset walk goes past its first page. s-700 is another user's.
    await h.raw('drop index sessions_user_handle');
    await h.raw('alter table sessions drop column handle');
    await h.raw(`with recursive n(i) as (select 0 union all select i + 1 from n where i < 1000)
      insert into sessions (id_hash, user_id, auth_time, acr, amr, created_at, expires_at)
      select 's-' || i, case when i = 700 then 'usr_bob' else 'usr_alice' end, 1, 'x', '[]', 1, ${LATER} from n`);

    const db = await migrationDb();
    try {
      await sessionHandlesGrantlessIndexesMigration(backend).up(db);
      const rows = await h.raw('select id_hash, handle from sessions');
      expect(rows).toHaveLength(1001);
      for (const r of rows) expect(r['handle'], String(r['id_hash'])).toBe(sessionHandle(String(r['id_hash'])));
      expect((await h.storage.sessions.getByHandle('usr_alice', sessionHandle('s-1000')))?.idHash).toBe('s-1000');
      expect((await h.storage.sessions.getByHandle('usr_bob', sessionHandle('s-700')))?.idHash).toBe('s-700');
      expect(await h.storage.sessions.getByHandle('usr_alice', sessionHandle('s-700'))).toBeNull();

      await sessionHandlesGrantlessIndexesMigration(backend).up(db); // column and indexes exist now; every row has its handle
    } finally {
      await db.destroy();
    }
    expect(await h.raw('select id_hash from sessions where handle is null')).toEqual([]);
    // sessions_user_handle's user_id prefix replaces the index on user_id alone (0015, run by every storage here).
    const indexes = backend === 'sqlite' ? "select name from sqlite_master where type = 'index' and tbl_name = 'sessions'" : "select indexname as name from pg_indexes where tablename = 'sessions'";
    const names = (await h.raw(indexes)).map((r) => r['name']);
    expect(names).toContain('sessions_user_handle');
    expect(names).not.toContain('sessions_user_id');
    expect((await h.storage.sessions.getByHandle('usr_alice', sessionHandle('s-0')))?.idHash).toBe('s-0');
  });

  it('CO-1 getByHandle is one lookup of sessions_user_handle (user_id, handle), not a walk of the user\'s sessions', async () => {
    // PostgreSQL plans with statistics of a populated table (5,000 users with 10 sessions each).
    if (backend === 'postgres') {
      await h.raw(`insert into sessions (id_hash, user_id, auth_time, acr, amr, created_at, expires_at, handle) select 's' || i, 'u' || (i % 5000), 1, 'x', '[]', 1, 1000 + i, 'ses_' || i from generate_series(1, 50000) i`);
      await h.raw('analyze sessions'); // this table only: the database holds other tests' schemas
    }
    const sent: CompiledQuery[] = [];
    const storage = await capturingStorage(backend, h.url, sent);
    try {
      await storage.sessions.getByHandle('u7', 'ses_7');
    } finally {
      await storage.close();
    }
    const [lookup, ...others] = sent.filter((q) => /from "sessions"/.test(q.sql));
    expect(others).toEqual([]);
    const plan = await planOf(h, backend, lookup!);
    if (backend === 'sqlite') expect(plan, plan).toMatch(/^SEARCH sessions USING INDEX sessions_user_handle \(user_id=\? AND handle=\?\)$/);
    else {
      expect(plan, plan).toMatch(/Index Scan using sessions_user_handle on sessions/);
      expect(plan, plan).toMatch(/Index Cond: \(\(user_id = 'u7'::text\) AND \(handle = 'ses_7'::text\)\)/);
    }
  });
});
