/**
 * The running server sweeps expired rows on its own (storage/maintenance.ts) and stops the sweep
 * on close. Polls for the effect instead of timing it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { accessToken, grant } from './fixtures.ts';
import { createCode, exchangeCode, refresh, startTokenServer, type TokenServer } from '../token/fixtures.ts';

describe('server maintenance sweep', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('purges an access token expired past the grace period, keeps a live one, and stops on close', async () => {
    t = await startTestServer({ maintenance: { purgeIntervalSeconds: 1, graceSeconds: 0 } });
    const { storage } = t.server.ctx;
    const now = t.server.ctx.now();
    await storage.grants.create(grant());
    await storage.accessTokens.create(accessToken({ jti: 'at_dead', createdAt: now - 120, expiresAt: now - 60 }));
    await storage.accessTokens.create(accessToken({ jti: 'at_live', createdAt: now, expiresAt: now + 600 }));
    expect(t.server.maintenance.active).toBe(true);

    await expect.poll(() => storage.accessTokens.get('at_dead'), { timeout: 10_000, interval: 100 }).toBeNull();
    expect(await storage.accessTokens.get('at_live')).not.toBeNull();

    await t.close();
    expect(t.server.maintenance.active).toBe(false);
    t = undefined;
  });

  it('purgeIntervalSeconds 0 schedules no sweep', async () => {
    t = await startTestServer({ maintenance: { purgeIntervalSeconds: 0 } });
    expect(t.server.maintenance.active).toBe(false);
  });
});

describe('server maintenance sweep keeps replay evidence', () => {
  let server: TokenServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('a code replayed after its expiry and a sweep still revokes the grant', async () => {
    server = await startTokenServer({ maintenance: { purgeIntervalSeconds: 0, graceSeconds: 0 } });
    const issued = await createCode(server.ctx, { clientId: 'web-app', userId: server.alice.id });
    const first = await exchangeCode(server, issued);
    expect(first.status).toBe(200);
    server.shiftClock(server.ctx.config.ttl.authorizationCode + 120);
    await server.ts.server.maintenance.sweep();
    const replay = await exchangeCode(server, issued);
    expect(replay.body.error).toBe('invalid_grant');
    expect((await server.ctx.storage.grants.get(issued.grantId))?.revokedReason).toBe('code_reuse');
    expect((await refresh(server, first.body.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('a rotated refresh token reused past its own expiry and a sweep still revokes the live family', async () => {
    server = await startTokenServer({ maintenance: { purgeIntervalSeconds: 0, graceSeconds: 0 } });
    const issued = await createCode(server.ctx, { clientId: 'web-app', userId: server.alice.id });
    const first = await exchangeCode(server, issued);
    server.shiftClock(1000);
    const second = await refresh(server, first.body.refresh_token);
    expect(second.status).toBe(200);
    // The first token has expired; its successor (issued 1000 s later) has not.
    server.shiftClock(server.ctx.config.ttl.refreshToken + 500);
    await server.ts.server.maintenance.sweep();
    const reuse = await refresh(server, first.body.refresh_token);
    expect(reuse.body.error).toBe('invalid_grant');
    expect((await server.ctx.storage.grants.get(issued.grantId))?.revokedReason).toBe('refresh_token_reuse');
    expect((await refresh(server, second.body.refresh_token)).body.error).toBe('invalid_grant');
  });
});
