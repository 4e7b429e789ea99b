/** Replay caches for one-time JWT ids: private_key_jwt assertions (RFC 7523 §3) and DPoP proofs (RFC 9449 §11.1). */
import type { Storage } from '../storage.ts';
import type { RepoContext } from '../context.ts';
import { execute, first } from '../statements.ts';

/** Expired rows are swept at most once a minute per process; the upsert below never depends on it. */
const SWEEP_INTERVAL_SECONDS = 60;

/** Every actor assertion, client assertion and DPoP proof is one upsert here: precompiled (statements.ts). */
const REMEMBER =
  'insert into replay_cache (namespace, "key", expires_at) values (?, ?, ?) on conflict (namespace, "key") do update set expires_at = ? where replay_cache.expires_at <= ? returning "key"';
const SWEEP = 'delete from replay_cache where expires_at <= ?';

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
        await execute(ctx, SWEEP, [now]);
      }
      return (await first(ctx, REMEMBER, [namespace, key, expiresAt, expiresAt, now])) !== undefined;
    },
  };
}
