/**
 * Set-up shared by the login page tests (login, csrf-and-binding, totp-enrollment,
 * security-headers): one test server per file with one registered client, and the start of an
 * authorization request (PKCE S256) up to the interaction page.
 */
import { afterAll, beforeAll } from 'vitest';
import type { ClientRecord } from '../../../src/storage/records.ts';
import { startTestServer, type TestServer } from '../../helpers/test-server.ts';
import type { TestBrowser } from './browser.ts';
import { authorizeUrl, createClient, pkce, validParams } from './fixtures.ts';
import { beginAuthorization } from './flow.ts';

/**
 * beforeAll/afterAll: the server and its client, handed to `ready` once both exist. Every request
 * of these files comes from 127.0.0.1, so the failure budget is roomy unless a test is about it.
 */
export function useLoginServer(ready: (ts: TestServer, client: ClientRecord) => void, o: { client?: Partial<ClientRecord>; maxFailures?: number } = {}): void {
  let ts: TestServer | undefined;
  beforeAll(async () => {
    ts = await startTestServer({ login: { maxFailures: o.maxFailures ?? 100 } });
    ready(ts, await createClient(ts.server.ctx, o.client));
  });
  afterAll(() => ts?.close());
}

/** An authorization request of `client` at `server`, followed to the interaction URL. */
export function startAuthorization(browser: TestBrowser, server: TestServer, client: ClientRecord): Promise<string> {
  return beginAuthorization(browser, authorizeUrl(server.issuer, validParams(client, pkce().challenge)));
}
