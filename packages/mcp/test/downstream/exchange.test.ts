/**
 * ctx.downstreamToken against the real authorization server's RFC 8693 grant: the MCP server
 * exchanges the caller's token for one addressed to the downstream API (PASS-1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { createCode, createUser, formBody, newVerifier, REDIRECT, s256 } from '../../../server/test/token/fixtures.ts';
import { createTokenExchanger, DownstreamTokenError, cacheKey } from '../../src/downstream/exchange.ts';
import { createMandateMcp, defineTool } from '../../src/index.ts';
import type { AuthContext } from '../../src/core/types.ts';
import { authContext } from '../support/auth.ts';

const CRM_MCP = 'http://127.0.0.1:4411/mcp';
const CRM_API = 'http://127.0.0.1:4412/api';
const SECRETS = { assistant: 'assistant-secret-0123456789-abcdefghijklmn', crmMcp: 'crm-mcp-secret-0123456789-abcdefghijklmnop' };
const CREDENTIALS = { clientId: 'crm-mcp', clientSecret: SECRETS.crmMcp };

let as: TestServer;
let incoming: string;
let auth: AuthContext;
let userId: string;

beforeAll(async () => {
  as = await startTestServer({
    scopesSupported: ['openid', 'crm:read', 'crm:write'],
    resources: [CRM_MCP, CRM_API],
    clients: [
      { client_id: 'assistant', client_secret: SECRETS.assistant, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['authorization_code'], redirect_uris: [REDIRECT.web], scope: 'openid crm:read crm:write' },
      { client_id: 'crm-mcp', client_secret: SECRETS.crmMcp, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'], scope: 'crm:read' },
    ],
    tokenExchange: { resources: [{ resource: CRM_MCP, exchangers: ['crm-mcp'] }] },
  });
  const ctx = as.server.ctx;
  const user = await createUser(ctx, 'rep@example.com', 'Sales Rep');
  userId = user.id;
  const issued = await createCode(ctx, { clientId: 'assistant', userId: user.id, scope: 'crm:read crm:write', resources: [CRM_MCP] });
  incoming = await redeem(issued);
  const claims = decodeJwt(incoming);
  auth = authContext({ token: incoming, claims, issuer: as.issuer, subject: String(claims.sub), user: String(claims.sub), agent: undefined, actorChain: [], clientId: 'assistant', scopes: String(claims.scope).split(' '), audience: [CRM_MCP], expiresAt: Number(claims.exp) });
});
afterAll(() => as.close());

async function redeem(issued: { code: string; verifier: string; redirectUri: string }): Promise<string> {
  const res = await fetch(`${as.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`assistant:${SECRETS.assistant}`).toString('base64')}` },
    body: formBody({ grant_type: 'authorization_code', code: issued.code, code_verifier: issued.verifier, redirect_uri: issued.redirectUri, resource: CRM_MCP }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`code exchange failed: ${JSON.stringify(body)}`);
  return body.access_token;
}

/**
 * A token for the rep after signing in with `acr` at `authTime`, on a grant of its own: the code
 * /authorize would store after that sign-in (createCode always records mfa, 5 s ago).
 */
async function signedInToken(acr: string, amr: string[], authTime: number): Promise<string> {
  const ctx = as.server.ctx;
  const { grantId, redirectUri } = await createCode(ctx, { clientId: 'assistant', userId, scope: 'crm:read crm:write', resources: [CRM_MCP] });
  const code = randomBytes(32).toString('base64url');
  const verifier = newVerifier();
  const now = ctx.now();
  await ctx.storage.codes.create({
    codeHash: createHash('sha256').update(code).digest('base64url'),
    grantId,
    clientId: 'assistant',
    userId,
    redirectUri,
    redirectUriSent: true,
    codeChallenge: s256(verifier),
    codeChallengeMethod: 'S256',
    scope: 'crm:read crm:write',
    resources: [CRM_MCP],
    authorizationDetails: null,
    nonce: null,
    authTime,
    acr,
    amr,
    dpopJkt: null,
    sessionIdHash: null,
    createdAt: now,
    expiresAt: now + 60,
    consumedAt: null,
  });
  return redeem({ code, verifier, redirectUri });
}

function counting() {
  const calls: string[] = [];
  const f: typeof fetch = (input, init) => {
    calls.push(String(input));
    return fetch(input, init);
  };
  return { calls, fetch: f };
}

describe('RFC 8693 §2.1 PASS-1: the downstream call gets an exchanged token, never the incoming one', () => {
  it('exchanges for a token addressed exactly to the downstream API with the narrower scope', async () => {
    const exchanger = createTokenExchanger({ tokenEndpoint: `${as.issuer}/token`, credentials: CREDENTIALS });
    const token = await exchanger.token(auth, CRM_API, ['crm:read']);
    expect(token).not.toBe(incoming);
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${as.issuer}/jwks.json`)), { issuer: as.issuer, audience: CRM_API, typ: 'at+jwt' });
    expect(payload.aud).toBe(CRM_API);
    expect(payload.sub).toBe(auth.subject); // the user's identity is preserved (DL-1)
    expect(payload.scope).toBe('crm:read');
  });

  it('caches per caller + audience + scopes until expiry: one exchange for repeated calls', async () => {
    const { calls, fetch: f } = counting();
    const exchanger = createTokenExchanger({ tokenEndpoint: `${as.issuer}/token`, credentials: CREDENTIALS, fetch: f });
    const first = await exchanger.token(auth, CRM_API, ['crm:read']);
    expect(await exchanger.token(auth, CRM_API, ['crm:read'])).toBe(first);
    expect(calls).toHaveLength(1);
    expect(exchanger.cacheSize).toBe(1);
    // Another caller (different subject) never gets that token.
    const other = { ...auth, subject: 'someone-else', user: 'someone-else' };
    expect(cacheKey(other, CRM_API, ['crm:read'])).not.toBe(cacheKey(auth, CRM_API, ['crm:read']));
  });

  it('discovers the token endpoint from the issuer metadata (RFC 8414)', async () => {
    const exchanger = createTokenExchanger({ issuer: as.issuer, credentials: CREDENTIALS });
    expect(decodeJwt(await exchanger.token(auth, CRM_API, ['crm:read'])).aud).toBe(CRM_API);
  });
});

describe('RFC 8693 §2.2.2 refused exchanges surface the AS error, nothing cached', () => {
  it('a scope beyond the MCP server\'s registration is never granted: narrowed away, or invalid_scope when nothing is left', async () => {
    const exchanger = createTokenExchanger({ tokenEndpoint: `${as.issuer}/token`, credentials: CREDENTIALS });
    const narrowed = decodeJwt(await exchanger.token(auth, CRM_API, ['crm:read', 'crm:write']));
    expect(narrowed.scope).toBe('crm:read');
    await expect(exchanger.token(auth, CRM_API, ['crm:write'])).rejects.toMatchObject({ error: 'invalid_scope' });
  });

  it('an unknown downstream resource is invalid_target', async () => {
    const exchanger = createTokenExchanger({ tokenEndpoint: `${as.issuer}/token`, credentials: CREDENTIALS });
    const err = await exchanger.token(auth, 'http://127.0.0.1:1/elsewhere', ['crm:read']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownstreamTokenError);
    expect((err as DownstreamTokenError).error).toBe('invalid_target');
    expect(exchanger.cacheSize).toBe(0);
  });

  it('wrong client credentials are invalid_client', async () => {
    const exchanger = createTokenExchanger({ tokenEndpoint: `${as.issuer}/token`, credentials: { clientId: 'crm-mcp', clientSecret: 'wrong-secret-0123456789-abcdefghijklmnopq' } });
    await expect(exchanger.token(auth, CRM_API, ['crm:read'])).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it('a subject token that is not a token of this AS is invalid_request', async () => {
    const exchanger = createTokenExchanger({ tokenEndpoint: `${as.issuer}/token`, credentials: CREDENTIALS });
    await expect(exchanger.token({ ...auth, token: 'not.a.token' }, CRM_API, ['crm:read'])).rejects.toMatchObject({ error: 'invalid_request' });
  });

  it('TS-1 the AS unreachable is temporarily_unavailable', async () => {
    const exchanger = createTokenExchanger({ tokenEndpoint: 'http://127.0.0.1:1/token', credentials: CREDENTIALS });
    await expect(exchanger.token(auth, CRM_API, ['crm:read'])).rejects.toMatchObject({ error: 'temporarily_unavailable' });
  });
});

describe('PASS-1 the downstream token stands for the inbound token, never for a weaker or older one', () => {
  it('cacheKey differs in acr, auth_time, amr, cnf.jkt, grant, jti and the inbound token itself', () => {
    const key = (a: AuthContext) => cacheKey(a, CRM_API, ['crm:read']);
    const base = key(auth);
    const variants: Partial<AuthContext>[] = [
      { acr: 'urn:mandate:acr:phr' },
      { authTime: (auth.authTime ?? 0) + 1 },
      { amr: ['pwd', 'hwk'] },
      { cnf: { jkt: 'another-dpop-key-thumbprint' } },
      { claims: { ...auth.claims, grant_id: 'grt_second' } },
      { jti: 'another-jti' },
      { token: `${incoming}x` },
    ];
    for (const v of variants) expect(key({ ...auth, ...v }), JSON.stringify(v)).not.toBe(base);
    expect(key({ ...auth })).toBe(base);
  });

  it('through the MCP server: a step-up gets a strong downstream token, the older password token still its own weak one', async () => {
    const exchanger = createTokenExchanger({ tokenEndpoint: `${as.issuer}/token`, credentials: CREDENTIALS });
    const mcp = createMandateMcp({
      resource: CRM_MCP,
      issuer: as.issuer,
      serverInfo: { name: 'crm', version: '1' },
      hooks: { downstream: exchanger },
      tools: [
        defineTool({
          name: 'crm_lookup',
          description: 'Reads the CRM API with a token of its own.',
          policy: { requiredScopes: ['crm:read'] },
          handler: async (_args, ctx) => {
            const downstream = await ctx.downstreamToken(CRM_API, ['crm:read']);
            const claims = decodeJwt(downstream);
            return { data: { acr: claims.acr, authTime: claims.auth_time, jti: claims.jti } };
          },
        }),
      ],
    });
    const call = async (token: string): Promise<{ acr: string; authTime: number; jti: string }> => {
      const res = await mcp.fetch(
        new Request(CRM_MCP, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'crm_lookup', arguments: {} } }),
        }),
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as { result: { structuredContent: { acr: string; authTime: number; jti: string } } };
      return body.result.structuredContent;
    };
    try {
      const now = as.server.ctx.now();
      const password = await signedInToken('urn:mandate:acr:pwd', ['pwd'], now - 3000);
      const passkey = await signedInToken('urn:mandate:acr:phr', ['hwk', 'user'], now - 5);
      const weak = await call(password);
      expect(weak).toMatchObject({ acr: 'urn:mandate:acr:pwd', authTime: now - 3000 });
      // The step-up: the new token's call gets a downstream token of its strength...
      const strong = await call(passkey);
      expect(strong).toMatchObject({ acr: 'urn:mandate:acr:phr', authTime: now - 5 });
      // ...and the older password token never gets it afterwards (the downstream's minAcr / max_age hold).
      expect(await call(password)).toEqual(weak);
    } finally {
      await mcp.close();
    }
  });
});
