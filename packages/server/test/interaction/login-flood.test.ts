/**
 * A flood of sign-ins: password checks wait for a share of libuv's pool (crypto/password.ts,
 * crypto/pool-limit.ts), and once PASSWORD_CHECK_QUEUE_LIMIT of them are waiting, a new one is
 * refused with 503 and Retry-After (RFC 9110 §15.6.4) before any check: no password is looked
 * at, no failure is counted against the account or the address, the refusal is audited.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORD_CHECK_QUEUE_LIMIT, SCRYPT_CONCURRENCY } from '../../src/crypto/password.ts';
import type { ClientRecord } from '../../src/storage/records.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from './support/browser.ts';
import { startAuthorization, useLoginServer } from './support/login-server.ts';
import { createUser } from './support/fixtures.ts';
import { location, submitPassword } from './support/flow.ts';

let ts: TestServer;
let client: ClientRecord;
useLoginServer((server, c) => ((ts = server), (client = c)));

/** Holds every scrypt slot and fills the queue behind them, until `release`. */
function occupyPasswordChecks(): { release: () => Promise<void> } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const held = Array.from({ length: SCRYPT_CONCURRENCY.limit + PASSWORD_CHECK_QUEUE_LIMIT }, () => SCRYPT_CONCURRENCY.run(() => gate));
  return {
    async release() {
      open();
      await Promise.all(held);
    },
  };
}

let occupied: { release: () => Promise<void> } | null = null;
afterEach(async () => {
  await occupied?.release();
  occupied = null;
});

describe('sign-in flood: bounded queue of password checks', () => {
  it('refuses with 503 and Retry-After once the queue is full, counts no failure, and audits server_busy', async () => {
    const user = await createUser(ts.server.ctx);
    const browser = new TestBrowser();
    const interactionUrl = await startAuthorization(browser, ts, client);
    occupied = occupyPasswordChecks();
    expect(SCRYPT_CONCURRENCY.waiting).toBe(PASSWORD_CHECK_QUEUE_LIMIT);

    const busy = await submitPassword(browser, interactionUrl, user.email, user.password);
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('2');
    expect(await busy.text()).toContain('too many sign-ins');
    const rows = await ts.server.ctx.storage.audit.list({ event: 'login', limit: 1000 });
    expect(rows.filter((r) => r.reason === 'server_busy')).toHaveLength(1);
    expect(SCRYPT_CONCURRENCY.waiting).toBe(PASSWORD_CHECK_QUEUE_LIMIT); // refused, not queued

    // Once the flood drains, the same browser signs in: the refusal counted against nobody.
    await occupied.release();
    occupied = null;
    const ok = await submitPassword(browser, interactionUrl, user.email, user.password);
    expect(ok.status).toBe(303);
    expect(location(ok)).not.toContain('error=');
  });
});
