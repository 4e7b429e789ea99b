/** Replay caches for one-time JWT ids: private_key_jwt assertions (RFC 7523 §3) and DPoP proofs (RFC 9449 §11.1). */
import type { Storage } from '../storage.ts';
import type { RepoContext } from '../context.ts';

/** Expired rows are swept at most once a minute per process; the upsert below never depends on it. */
const SWEEP_INTERVAL_SECONDS = 60;

export function replayRepository(ctx: RepoContext): Storage['replay'] {
  return {
    /**
     * One atomic upsert: a new key inserts; an existing key is taken over only when it has
     * expired (expires_at <= now). RETURNING yields a row exactly when this caller recorded it,
     * so two concurrent uses of one jti cannot both succeed.
     */
    async remember(namespace, key, expiresAt, now) {
      if (now - ctx.shared.replaySweptAt >= SWEEP_INTERVAL_SECONDS) {
        ctx.shared.replaySweptAt = now;
        await ctx.db.deleteFrom('replay_cache').where('expires_at', '<=', now).execute();
      }
      const row = await ctx.db
        .insertInto('replay_cache')
        .values({ namespace, key, expires_at: expiresAt })
        .onConflict((oc) =>
          oc
            .columns(['namespace', 'key'])
            .doUpdateSet({ expires_at: expiresAt })
            .where('replay_cache.expires_at', '<=', now),
        )
        .returning('key')
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}
