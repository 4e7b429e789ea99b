/**
 * CO-1 (issue 3) end to end: a real browser login and consent (interaction pages) creates a grant
 * that records its session; an agent exchanges the user's token (RFC 8693); ending the session
 * through the admin API makes the user's token and the downstream exchanged token inactive at
 * introspection (RFC 7662 §2.2). A new login in the same browser, by contrast, revokes nothing.
 */
import { describe, expect, it } from 'vitest';
import { issueAccessToken } from '../../src/tokens/access-token.ts';
import { sessionHandle } from '../../src/sessions/session-handle.ts';
import { introspect, postForm } from '../token/fixtures.ts';
import { auth, createAgent, exchange, EXCHANGE_CLIENTS, EXCHANGE_SCOPES, MCP, ORCHESTRATOR, TT, useExchangeServer } from '../token-exchange/fixtures.ts';
import { inputValue, TestBrowser } from '../interaction/support/browser.ts';
import { authorizeUrl, createUser, pkce, totpCode, type TestUser } from '../interaction/support/fixtures.ts';
import { authorizeToRedirect, beginAuthorization, location, redirectParams, submitPassword, submitTotp } from '../interaction/support/flow.ts';

describe('CO-1 ending a session revokes the tokens derived from it, downstream exchanged tokens included', () => {
  const h = useExchangeServer('sqlite', {
    scopesSupported: [...EXCHANGE_SCOPES, 'mandate:admin'],
    clients: [...EXCHANGE_CLIENTS, { client_id: 'admin-cli', client_secret: 'admin-cli-test-secret-0123456789abcdefghij', grant_types: ['client_credentials'], scope: 'mandate:admin' }],
  });

  /** Browser login + consent for `host`, then the code at the token endpoint. */
  async function authorize(browser: TestBrowser, user: TestUser, relogin = false) {
    const { verifier, challenge } = pkce();
    const params = { response_type: 'code', client_id: 'host', redirect_uri: 'https://host.example/cb', code_challenge: challenge, code_challenge_method: 'S256', state: 'st', scope: 'openid mcp:read', resource: ORCHESTRATOR, ...(relogin ? { prompt: 'login' } : {}) };
    const url = authorizeUrl(h.server.issuer, params);
    const res = relogin ? await signInAgain(browser, url, user) : await authorizeToRedirect(browser, url, user);
    const code = redirectParams(res).get('code');
    expect(code).toBeTruthy();
    const token = await postForm(h.server.tokenUrl, { grant_type: 'authorization_code', code: code!, code_verifier: verifier, redirect_uri: 'https://host.example/cb' }, auth.host);
    expect(token.status).toBe(200);
    return token.body.access_token as string;
  }

  /** prompt=login in a signed-in browser: a fresh login, with the next TOTP step (the current one was used). */
  async function signInAgain(browser: TestBrowser, url: string, user: TestUser): Promise<Response> {
    const interactionUrl = await beginAuthorization(browser, url);
    expect((await submitPassword(browser, interactionUrl, user.email, user.password)).status).toBe(303);
    const afterTotp = await submitTotp(browser, interactionUrl, await totpCode(user, 1));
    expect(location(afterTotp)).toBe(interactionUrl);
    // The consent is remembered (issue 2): the interaction goes straight back to the client.
    const res = await browser.get(interactionUrl);
    expect(location(res)).toMatch(/^https:\/\/host\.example\/cb\?/);
    return res;
  }

  async function adminDelete(path: string) {
    const admin = await issueAccessToken(h.server.ctx, { subject: 'admin-cli', clientId: 'admin-cli', userId: null, grantId: null, scope: 'mandate:admin', audience: [] });
    const res = await fetch(`${h.server.issuer}/admin/v1${path}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin.token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  it('the grant records its session; revoking the session makes the exchanged token inactive', async () => {
    const user = await createUser(h.server.ctx);
    const agent = await createAgent(h.server, user.record);
    const userToken = await authorize(new TestBrowser(), user);
    const [session] = await h.server.ctx.storage.sessions.listForUser(user.record.id, { now: h.server.ctx.now() });
    const [grant] = await h.server.ctx.storage.grants.list({ userId: user.record.id });
    expect(grant?.sessionIdHash).toBe(session!.idHash);

    const hop = await exchange(h.server, { subject_token: userToken, subject_token_type: TT.accessToken, actor_token: await agent.assertion(), actor_token_type: TT.jwt, resource: MCP }, auth.orchestrator);
    expect(hop.status).toBe(200);
    expect((await introspect(h.server, hop.body.access_token)).body.active).toBe(true);

    const res = await adminDelete(`/users/${user.record.id}/sessions/${sessionHandle(session!.idHash)}`);
    expect(res.status).toBe(200);
    expect(res.body.revoked_grants).toHaveLength(2); // the user's grant and the exchanged one
    expect((await introspect(h.server, userToken)).body).toEqual({ active: false });
    expect((await introspect(h.server, hop.body.access_token)).body).toEqual({ active: false });
  });

  it('a new login replacing the browser\'s session ends the old session but revokes none of its grants', async () => {
    const user = await createUser(h.server.ctx);
    const browser = new TestBrowser();
    const first = await authorize(browser, user);
    const second = await authorize(browser, user, true);
    const sessions = await h.server.ctx.storage.sessions.listForUser(user.record.id, { now: h.server.ctx.now(), includeEnded: true });
    expect(sessions.filter((x) => x.revokedAt === null)).toHaveLength(1);
    expect(sessions).toHaveLength(2);
    expect((await introspect(h.server, first)).body.active).toBe(true);
    expect((await introspect(h.server, second)).body.active).toBe(true);
  });

  it('CO-1 sign-out (POST /account/logout, CSRF-protected, 303) ends the session and revokes its grants and exchanged tokens', async () => {
    const user = await createUser(h.server.ctx);
    const agent = await createAgent(h.server, user.record);
    const browser = new TestBrowser();
    const userToken = await authorize(browser, user);
    const hop = await exchange(h.server, { subject_token: userToken, subject_token_type: TT.accessToken, actor_token: await agent.assertion(), actor_token_type: TT.jwt, resource: MCP }, auth.orchestrator);
    const logoutUrl = `${h.server.issuer}/account/logout`;
    // The account page offers the sign-out.
    expect(await (await browser.get(`${h.server.issuer}/account/passkeys`)).text()).toContain(`href="${logoutUrl}"`);

    const page = await browser.get(logoutUrl);
    const html = await page.text();
    expect(page.headers.get('cache-control')).toContain('no-store');
    const csrf = inputValue(html, 'csrf');
    expect(csrf).toBeTruthy();

    // Another site posting without (or with a wrong) token revokes nothing.
    expect((await browser.post(logoutUrl, {})).status).toBe(403);
    expect((await browser.post(logoutUrl, { csrf: 'x'.repeat(43) })).status).toBe(403);
    expect((await introspect(h.server, hop.body.access_token)).body.active).toBe(true);

    const res = await browser.post(logoutUrl, { csrf: csrf! });
    expect(res.status).toBe(303);
    expect(location(res)).toBe(logoutUrl);
    expect([...browser.jar.keys()].some((name) => name.includes('session'))).toBe(false);
    expect((await introspect(h.server, userToken)).body).toEqual({ active: false });
    expect((await introspect(h.server, hop.body.access_token)).body).toEqual({ active: false });
    expect(await h.server.ctx.storage.sessions.listForUser(user.record.id, { now: h.server.ctx.now() })).toEqual([]);
    const [event] = await h.server.ctx.storage.audit.list({ event: 'logout', userId: user.record.id });
    expect((event?.data as { revoked_grants: string[] }).revoked_grants).toHaveLength(2);
    expect(await (await browser.get(logoutUrl)).text()).toContain('Signed out');
  });
});
