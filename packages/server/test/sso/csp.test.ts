/**
 * The login page's CSP form-action must admit the provider's authorization endpoint from the
 * very first render: the SSO form post is answered with a 303 there, and Chrome checks that
 * redirect against form-action. The endpoint's origin may differ from the issuer's and is only
 * known from discovery (OIDC Discovery 1.0 §3), so the first page after a restart waits for it.
 * A tiny discovery server on loopback plays such a provider; another never answers.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MandateConfigInput } from '../../src/config/config.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from '../interaction/support/browser.ts';
import { createClient } from '../interaction/support/fixtures.ts';
import { location, openPage } from '../interaction/support/flow.ts';
import { beginClientAuthorization, chooseUpstream, type SsoWorld } from './support/sso-flow.ts';

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  return { server, port };
}

let discovery: { server: Server; port: number };
let silent: { server: Server; port: number };
let world: SsoWorld;
let discoveryRequests = 0;
/** Another origin than the issuer's (localhost vs 127.0.0.1, and another port). */
const AUTHORIZATION_ORIGIN = 'http://localhost:9';

beforeAll(async () => {
  discovery = await listen((req, res) => {
    const issuer = `http://127.0.0.1:${discovery.port}`;
    if (req.url !== '/.well-known/openid-configuration') return void res.writeHead(404).end();
    discoveryRequests++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        issuer,
        authorization_endpoint: `${AUTHORIZATION_ORIGIN}/oauth2/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['ES256'],
      }),
    );
  });
  // Accepts connections and never answers: an IdP that hangs.
  silent = await listen(() => undefined);
  const overrides = {
    federation: {
      devAllowedHosts: [`127.0.0.1:${discovery.port}`, `127.0.0.1:${silent.port}`],
      upstreamProviders: [
        { id: 'split', displayName: 'Split SSO', issuer: `http://127.0.0.1:${discovery.port}`, clientId: 'mandate' },
        { id: 'hang', displayName: 'Hanging SSO', issuer: `http://127.0.0.1:${silent.port}`, clientId: 'mandate' },
      ],
    },
  } as Partial<MandateConfigInput>;
  const ts: TestServer = await startTestServer(overrides);
  const client = await createClient(ts.server.ctx);
  world = { ts, client, idp: undefined as never, close: () => ts.close() };
});

afterAll(async () => {
  await world?.close();
  silent.server.closeAllConnections();
  await Promise.all([discovery, silent].map(({ server }) => new Promise((resolve) => server.close(resolve))));
});

describe('CSP form-action of the login page', () => {
  it('the first render after start admits the discovered authorization endpoint’s origin; a hanging IdP does not stop the page', async () => {
    expect(discoveryRequests).toBe(0);
    const browser = new TestBrowser();
    const started = await beginClientAuthorization(world, browser);
    const page = await openPage(browser, started.interactionUrl);
    expect(page.res.status).toBe(200);
    expect(page.html).toContain('id="sso-split"');
    const formAction = (page.res.headers.get('content-security-policy') ?? '').split('; ').find((d) => d.startsWith('form-action')) ?? '';
    expect(formAction.split(' ')).toContain(AUTHORIZATION_ORIGIN);
    // Nothing known about the hanging provider yet: its issuer's origin, the best guess.
    expect(formAction.split(' ')).toContain(`http://127.0.0.1:${silent.port}`);

    // The redirect the SSO form gets is to exactly that origin.
    const toIdp = await chooseUpstream(browser, started.interactionUrl, { provider: 'split' });
    expect(toIdp.status, await toIdp.clone().text()).toBe(303);
    expect(new URL(location(toIdp)).origin).toBe(AUTHORIZATION_ORIGIN);
    expect(discoveryRequests).toBe(1);
  });
});
