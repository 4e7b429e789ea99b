/** Fetched Client ID Metadata Documents, kept per their HTTP caching headers (AS-6). */
import type { Storage } from '../storage.ts';
import { fromJson, toJson, type RepoContext } from '../context.ts';

export function cimdCacheRepository(ctx: RepoContext): Storage['cimdCache'] {
  return {
    /** Returns the entry even when stale: the caller compares expiresAt and may revalidate with the etag. */
    async get(url) {
      const row = await ctx.db.selectFrom('cimd_cache').selectAll().where('url', '=', url).executeTakeFirst();
      if (!row) return null;
      return { url: row.url, document: fromJson(row.document), etag: row.etag, fetchedAt: row.fetched_at, expiresAt: row.expires_at };
    },
    /** Upsert: a refetch replaces the previous entry. */
    async put(r) {
      const values = { url: r.url, document: toJson(r.document), etag: r.etag, fetched_at: r.fetchedAt, expires_at: r.expiresAt };
      await ctx.db
        .insertInto('cimd_cache')
        .values(values)
        .onConflict((oc) =>
          oc.column('url').doUpdateSet({ document: values.document, etag: values.etag, fetched_at: values.fetched_at, expires_at: values.expires_at }),
        )
        .execute();
    },
  };
}
