/**
 * openid-client v6 across two authorizations in one browser: the login session is reused, the
 * consent is remembered (AS-8: per user + client + scopes), and `max_age` / `acr_values`
 * (OIDC Core §3.1.2.1) come back as `auth_time` and `acr` that openid-client checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { authorizeHeadlessly } from '../src/browserless-login.ts';
import { INTEROP_SCOPES, nativeClient } from '../src/clients.ts';
import { CookieJar } from '../src/cookie-jar.ts';
import { createUser, startAuthorizationServer, type TestServer } from '../src/server.ts';

const REDIRECT = 'http://127.0.0.1:53693/callback';
const MFA = 'urn:mandate:acr:mfa';
let as: TestServer;

beforeAll(async () => {
  as = await startAuthorizationServer({ scopesSupported: INTEROP_SCOPES, clients: [nativeClient()] });
});
afterAll(async () => {
  await as?.close();
});

async function signIn(config: client.Configuration, jar: CookieJar, user: Awaited<ReturnType<typeof createUser>>, extra: Record<string, string>) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid email',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  const { callback, consent, trail } = await authorizeHeadlessly(url, user, { jar });
  const maxAge = extra.max_age === undefined ? undefined : Number(extra.max_age);
  const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, maxAge });
  return { tokens, consent, trail };
}

describe('openid-client with a remembered session and consent (OIDC Core §3.1.2.1 max_age, acr_values)', () => {
  it('signs in once with password + TOTP, then authorizes again without any page', async () => {
    const config = await client.discovery(new URL(as.issuer), 'interop-native', undefined, client.None(), { execute: [client.allowInsecureRequests] });
    const user = await createUser(as.server.ctx);
    const jar = new CookieJar();

    const first = await signIn(config, jar, user, { acr_values: MFA });
    expect(first.consent?.clientName).toBe('Interop Native App');
    const firstClaims = first.tokens.claims()!;
    expect(firstClaims.acr).toBe(MFA);
    expect(firstClaims.amr).toEqual(expect.arrayContaining(['pwd', 'otp']));
    expect(firstClaims.auth_time).toBeTypeOf('number');

    // Same browser: the session and the consent are reused; openid-client checks auth_time against max_age.
    const second = await signIn(config, jar, user, { max_age: '600' });
    expect(second.consent).toBeNull();
    expect(second.trail.some((hop) => hop.startsWith('POST'))).toBe(false);
    expect(second.tokens.claims()?.auth_time).toBe(firstClaims.auth_time);
    expect(second.tokens.claims()?.sub).toBe(user.id);
  });
});
