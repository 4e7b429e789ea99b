/**
 * RFC 6749 §4.1.2 / §5.2: the authorization code is consumed before its tokens are issued, so the
 * issuing transaction must not fail on a PostgreSQL deadlock victim (40P01, rolled back whole): a
 * 503 would leave the client only a retry that counts as code reuse and revokes the grant. The
 * transaction writes only through its own context, so it is re-run (grants/shared/commit.ts), as the
 * refresh and exchange paths are (deadlock-retry.test.ts: the retry rule itself). PostgreSQL only:
 * SQLite transactions are serialised in-process and never deadlock, so nothing is retried there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/storage.ts';
import { hookTransactions } from '../helpers/transaction-hooks.ts';
import { accessTokenClaims, auditEvents, createCode, exchangeCode, refresh, startTokenServer, type TokenServer } from '../token/fixtures.ts';

function deadlock(): Error {
  return Object.assign(new Error('deadlock detected'), { code: '40P01' });
}

/** The next `victims` transactions that write an access token row are deadlock victims, after the write (so it is rolled back). */
function deadlockIssuance(storage: Storage, victims: number): { readonly writes: number; undo(): void } {
  let writes = 0;
  const undo = hookTransactions(storage, (tx) => ({
    accessTokens: Object.assign(Object.create(tx.accessTokens) as Storage['accessTokens'], {
      async create(record: Parameters<Storage['accessTokens']['create']>[0]) {
        await tx.accessTokens.create(record);
        writes += 1;
        if (writes <= victims) throw deadlock();
      },
    }),
  }));
  return {
    get writes() {
      return writes;
    },
    undo,
  };
}

describe('authorization code issuance chosen as a PostgreSQL deadlock victim (40P01)', () => {
  let s: TokenServer;
  beforeAll(async () => {
    s = await startTokenServer({}, 'postgres');
  });
  afterAll(async () => {
    await s?.close();
  });

  it('RFC 6749 §5.2 / §4.1.2: the issuing transaction is re-run: 200 with the tokens, the grant kept, one issuance recorded', async () => {
    const issued = await createCode(s.ctx, { clientId: 'web-app', userId: s.alice.id, scope: 'openid mcp:read' });
    const hook = deadlockIssuance(s.ctx.storage, 1);
    let res;
    try {
      res = await exchangeCode(s, issued);
    } finally {
      hook.undo();
    }
    expect(hook.writes).toBe(2); // the victim's write, rolled back, then the re-run's
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(typeof res.body.refresh_token).toBe('string');
    expect(typeof res.body.id_token).toBe('string');
    const jti = String(accessTokenClaims(res.body.access_token).jti);
    expect(await s.ctx.storage.accessTokens.get(jti)).toMatchObject({ jti, grantId: issued.grantId, revokedAt: null });
    expect((await s.ctx.storage.grants.get(issued.grantId))?.revokedAt).toBeNull();
    const events = (await auditEvents(s, 'token_issued')).filter((e) => e.data?.grant_id === issued.grantId);
    expect(events).toHaveLength(1);
    expect(events[0]?.data?.jti).toBe(jti);
    // The refresh token of the re-run is the one stored: it works.
    expect((await refresh(s, String(res.body.refresh_token))).status).toBe(200);
  });

  it('RFC 6749 §5.2: a victim on every attempt → temporarily_unavailable 503, nothing issued', async () => {
    const issued = await createCode(s.ctx, { clientId: 'web-app', userId: s.alice.id });
    const hook = deadlockIssuance(s.ctx.storage, 100);
    let res;
    try {
      res = await exchangeCode(s, issued);
    } finally {
      hook.undo();
    }
    expect(hook.writes).toBe(3); // commit.ts DEADLOCK_ATTEMPTS
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('temporarily_unavailable');
    expect(res.headers.get('retry-after')).toBe('1');
    expect((await auditEvents(s, 'token_issued')).filter((e) => e.data?.grant_id === issued.grantId)).toEqual([]);
  });
});
