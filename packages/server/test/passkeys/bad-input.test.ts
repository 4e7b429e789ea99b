/**
 * Bad input never crashes the passkey endpoints (product rule): whatever arrives in the
 * `credential` field — random text, JSON of any shape, a real response with fields swapped or
 * mangled — the answer is a 303 back to the page with an error, never a 500, and nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ClientRecord } from '../../src/storage/records.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from '../interaction/support/browser.ts';
import { createClient, createUser, type TestUser } from '../interaction/support/fixtures.ts';
import { authorizeToRedirect, beginAuthorization } from '../interaction/support/flow.ts';
import { SoftwareAuthenticator } from './support/authenticator.ts';
import { accountUrl, authorization, openCeremony, startPasskeyServer } from './support/flow.ts';

let ts: TestServer;
let client: ClientRecord;
let user: TestUser;
let signedIn: TestBrowser;

beforeAll(async () => {
  ts = await startPasskeyServer();
  client = await createClient(ts.server.ctx);
  user = await createUser(ts.server.ctx);
  signedIn = new TestBrowser();
  await authorizeToRedirect(signedIn, authorization(ts, client).url, user);
});
afterAll(() => ts.close());

/** Arbitrary values for `credential`: text, JSON of any shape, and real responses with a field replaced. */
function credentialValues(real: () => Record<string, unknown>): fc.Arbitrary<string> {
  const mangled = fc.tuple(fc.constantFrom('id', 'rawId', 'type', 'response', 'clientExtensionResults'), fc.jsonValue()).map(([key, value]) => JSON.stringify({ ...real(), [key]: value }));
  const mangledInner = fc
    .tuple(fc.constantFrom('clientDataJSON', 'attestationObject', 'authenticatorData', 'signature', 'userHandle', 'transports'), fc.jsonValue())
    .map(([key, value]) => {
      const r = real();
      return JSON.stringify({ ...r, response: { ...(r.response as object), [key]: value } });
    });
  return fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 }), mangled, mangledInner);
}

describe('bad input on the passkey endpoints never crashes', () => {
  it('registration: any credential value → 303 back to the account page, nothing stored', async () => {
    const page = await openCeremony(signedIn, accountUrl(ts));
    const real = () => new SoftwareAuthenticator(ts.issuer).register(page.options) as unknown as Record<string, unknown>;
    await fc.assert(
      fc.asyncProperty(credentialValues(real), async (credential) => {
        await openCeremony(signedIn, accountUrl(ts)); // a fresh challenge each time
        const res = await signedIn.post(page.action, { csrf: page.csrf, credential });
        expect(res.status).toBe(303);
      }),
      { numRuns: 40 },
    );
    expect(await ts.server.ctx.storage.passkeys.listForUser(user.record.id)).toEqual([]);
  });

  it('sign-in: any credential value → 303 back to the passkey page, no session', async () => {
    const browser = new TestBrowser();
    const interactionUrl = await beginAuthorization(browser, authorization(ts, client).url);
    const passkeyUrl = `${interactionUrl}/passkey`;
    const page = await openCeremony(browser, passkeyUrl);
    const real = () => new SoftwareAuthenticator(ts.issuer).authenticate(page.options) as unknown as Record<string, unknown>;
    await fc.assert(
      fc.asyncProperty(credentialValues(real), async (credential) => {
        await openCeremony(browser, passkeyUrl);
        const res = await browser.post(page.action, { csrf: page.csrf, credential });
        expect(res.status).toBe(303);
        expect(browser.cookie('__Host-mandate_session')).toBeUndefined();
      }),
      { numRuns: 40 },
    );
  });
});
