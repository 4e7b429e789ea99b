/**
 * The running server sweeps expired rows on its own (storage/maintenance.ts) and stops the sweep
 * on close. Polls for the effect instead of timing it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { accessToken, grant } from './fixtures.ts';

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
