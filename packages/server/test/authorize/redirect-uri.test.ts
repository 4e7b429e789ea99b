import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidRequestError } from '@mandate/protocol';
import { matchesLoopbackRedirect, resolveRedirectUri } from '../../src/endpoints/authorize/redirect-uri.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { TestBrowser } from '../interaction/support/browser.ts';
import { authorizeUrl, createClient, pkce, validParams } from '../interaction/support/fixtures.ts';
import { location } from '../interaction/support/flow.ts';

describe('RFC 8252 §7.3 loopback redirect URIs: any port, nothing else varies', () => {
  it('accepts another port for 127.0.0.1, [::1] and localhost, with or without a registered port', () => {
    expect(matchesLoopbackRedirect('http://127.0.0.1/callback', 'http://127.0.0.1:53123/callback')).toBe(true);
    expect(matchesLoopbackRedirect('http://127.0.0.1:8080/callback', 'http://127.0.0.1:9090/callback')).toBe(true);
    expect(matchesLoopbackRedirect('http://[::1]/cb', 'http://[::1]:4000/cb')).toBe(true);
    expect(matchesLoopbackRedirect('http://localhost:3000/cb', 'http://localhost:3001/cb')).toBe(true);
    expect(matchesLoopbackRedirect('http://127.0.0.1', 'http://127.0.0.1:5000')).toBe(true);
  });

  it('refuses a different path, query, host, scheme or an invalid port', () => {
    expect(matchesLoopbackRedirect('http://127.0.0.1/callback', 'http://127.0.0.1:5000/callback2')).toBe(false);
    expect(matchesLoopbackRedirect('http://127.0.0.1/callback', 'http://127.0.0.1:5000/callback?x=1')).toBe(false);
    expect(matchesLoopbackRedirect('http://127.0.0.1/callback', 'http://localhost:5000/callback')).toBe(false);
    expect(matchesLoopbackRedirect('http://127.0.0.1/callback', 'https://127.0.0.1:5000/callback')).toBe(false);
    expect(matchesLoopbackRedirect('http://127.0.0.1/callback', 'http://127.0.0.1:0/callback')).toBe(false);
    expect(matchesLoopbackRedirect('http://127.0.0.1/callback', 'http://127.0.0.1:99999/callback')).toBe(false);
    expect(matchesLoopbackRedirect('http://127.0.0.1/callback', 'http://127.0.0.1:5000/callback#x')).toBe(false);
    expect(matchesLoopbackRedirect('http://127.0.0.1/cb', 'http://127.0.0.1.evil.example:5000/cb')).toBe(false);
    expect(matchesLoopbackRedirect('http://127.0.0.1/cb', 'http://127.0.0.1:5000@evil.example/cb')).toBe(false);
  });

  it('never varies the port of a non-loopback redirect URI', () => {
    expect(matchesLoopbackRedirect('https://app.example.com/cb', 'https://app.example.com:8443/cb')).toBe(false);
    expect(matchesLoopbackRedirect('http://app.example.com/cb', 'http://app.example.com:8080/cb')).toBe(false);
    expect(() => resolveRedirectUri({ redirectUris: ['https://app.example.com/cb'] }, 'https://app.example.com:8443/cb')).toThrow(InvalidRequestError);
  });
});

describe('RFC 9700 §4.1.3 exact redirect URI matching', () => {
  it('returns the requested URI on an exact match, and the only one when omitted', () => {
    expect(resolveRedirectUri({ redirectUris: ['https://a.example/cb'] }, 'https://a.example/cb')).toEqual({ redirectUri: 'https://a.example/cb', sent: true });
    expect(resolveRedirectUri({ redirectUris: ['https://a.example/cb'] }, undefined)).toEqual({ redirectUri: 'https://a.example/cb', sent: false });
  });

  it('requires redirect_uri when several are registered, and refuses clients with none', () => {
    expect(() => resolveRedirectUri({ redirectUris: ['https://a.example/cb', 'https://a.example/cb2'] }, undefined)).toThrow(/required/);
    expect(() => resolveRedirectUri({ redirectUris: [] }, 'https://a.example/cb')).toThrow(InvalidRequestError);
  });
});

describe('RFC 8252 §7.3 loopback port variation at /authorize', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
  });
  afterAll(() => ts.close());

  it('a native client registered with http://127.0.0.1/callback is answered on the port it asked for', async () => {
    const client = await createClient(ts.server.ctx, { applicationType: 'native', redirectUris: ['http://127.0.0.1/callback'] });
    const res = await new TestBrowser().get(
      authorizeUrl(ts.issuer, { ...validParams(client, pkce().challenge), redirect_uri: 'http://127.0.0.1:61234/callback', response_type: 'token' }),
    );
    expect(res.status).toBe(303);
    expect(location(res).startsWith('http://127.0.0.1:61234/callback?error=unsupported_response_type')).toBe(true);
  });

  it('a valid request with another loopback port goes on to the login page', async () => {
    const client = await createClient(ts.server.ctx, { applicationType: 'native', redirectUris: ['http://[::1]:1000/cb'] });
    const res = await new TestBrowser().get(authorizeUrl(ts.issuer, { ...validParams(client, pkce().challenge), redirect_uri: 'http://[::1]:2000/cb' }));
    expect(res.status).toBe(303);
    expect(location(res)).toContain('/interaction/');
  });

  it('a web client on https gets an error page for another port', async () => {
    const client = await createClient(ts.server.ctx);
    const res = await fetch(authorizeUrl(ts.issuer, { ...validParams(client, pkce().challenge), redirect_uri: 'https://app.example.com:444/callback' }), {
      redirect: 'manual',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });
});
