/**
 * Access-token validation at the resource server (RFC 9068 §4, RFC 6750 §2–3, TOK-1, TOK-2,
 * ERR-1, RS-2) through the Node http adapter, with tokens issued by a real Mandate AS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { decodeJwt, generateKeyPair, SignJWT, exportJWK } from 'jose';
import type { TokenServer } from '../../server/test/token/fixtures.ts';
import { claimsFromIntrospection } from '../src/token/introspection.ts';
import { DEFAULT_ALGORITHMS, verifyJwtAccessToken } from '../src/token/jwt.ts';
import { INITIALIZE, LIST_TOOLS, MACHINE, machineToken, postForm, rpc, sdkClient, startAs, startMcp, type RunningMcp } from './support/setup.ts';

let as: TokenServer;
let rs: RunningMcp;

beforeAll(async () => {
  as = await startAs();
  rs = await startMcp(as, 'node');
});
afterAll(async () => {
  await rs?.close();
  await as?.close();
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function baseClaims(resource: string): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: as.issuer, sub: 'hr-agent', client_id: 'hr-agent', aud: resource, iat: now, exp: now + 300, jti: randomUUID(), scope: 'hr:read' };
}

function expectInvalidToken(res: { status: number; headers: Headers }, description: RegExp): void {
  expect(res.status).toBe(401);
  const challenge = res.headers.get('www-authenticate') ?? '';
  expect(challenge).toMatch(/^Bearer error="invalid_token", error_description="[^"]*", scope="[^"]+", resource_metadata="[^"]+"$/);
  expect(challenge).toMatch(description);
}

describe('RFC 9068 §4 a valid token for this resource', () => {
  it('is accepted: the MCP SDK client initializes and lists tools over Streamable HTTP', async () => {
    const token = await machineToken(as, 'hr:read', rs.url);
    const client = await sdkClient(rs.url, token);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('list_employees');
    const result = await client.callTool({ name: 'list_employees', arguments: {} });
    expect(result.structuredContent).toEqual({ employees: [{ id: 'e1', name: 'Ada' }] });
    await client.close();
  });
});

describe('RFC 9068 §4 step 2 / TOK-2 audience: exactly this resource', () => {
  it('refuses a token issued for another resource', async () => {
    const token = await machineToken(as, 'hr:read', 'https://other.example/mcp');
    expectInvalidToken(await rpc(rs.url, INITIALIZE, bearer(token)), /not issued for this resource/);
  });

  it('refuses a token for a URI that differs only by a trailing slash', async () => {
    const token = await machineToken(as, 'hr:read', `${rs.url}/`);
    expectInvalidToken(await rpc(rs.url, INITIALIZE, bearer(token)), /not issued for this resource/);
  });

  it('refuses a token for this resource and another one: the other could replay it here (exact audience by default)', async () => {
    const res = await postForm(as.tokenUrl, { grant_type: 'client_credentials', client_id: MACHINE.id, client_secret: MACHINE.secret, scope: 'hr:read', resource: [rs.url, 'https://crm.example/mcp'] });
    expect(res.status).toBe(200);
    const token = String(res.body.access_token);
    expect(decodeJwt(token).aud).toEqual([rs.url, 'https://crm.example/mcp']);
    expectInvalidToken(await rpc(rs.url, INITIALIZE, bearer(token)), /issued for other resources too/);
    // The same verdict when the answer comes from introspection (RFC 7662 `aud`).
    expect(() => claimsFromIntrospection({ active: true, iss: as.issuer, aud: [rs.url, 'https://crm.example/mcp'], exp: 4_000_000_000 }, as.issuer, rs.url, 1, 30)).toThrow(/other resources too/);
    // `audience: 'includes'` opts in to several audiences.
    const settings = { issuer: as.issuer, resource: rs.url, algorithms: DEFAULT_ALGORITHMS, leewaySeconds: 30, now: () => Math.floor(Date.now() / 1000) };
    await expect(verifyJwtAccessToken(token, rs.mcp.jwks, { ...settings, audience: 'includes' })).resolves.toMatchObject({ sub: MACHINE.id });
    await expect(verifyJwtAccessToken(token, rs.mcp.jwks, settings)).rejects.toThrow(/other resources too/);
    // One audience given as a one-element array is still exactly this resource.
    expect(claimsFromIntrospection({ active: true, iss: as.issuer, aud: [rs.url], exp: 4_000_000_000 }, as.issuer, rs.url, 1, 30)).toMatchObject({ aud: [rs.url] });
  });

  it('refuses a token without a resource (audience = the AS itself)', async () => {
    const res = await fetch(as.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'hr-agent', client_secret: 'hr-agent-secret-0123456789-abcdefghijklmnop', scope: 'hr:read' }),
    });
    const { access_token } = (await res.json()) as { access_token: string };
    expectInvalidToken(await rpc(rs.url, INITIALIZE, bearer(access_token)), /not issued for this resource/);
  });
});

describe('RFC 9068 §4 signature, typ, iss and algorithm', () => {
  it('refuses alg none', async () => {
    const token = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(baseClaims(rs.url))}.`;
    expectInvalidToken(await rpc(rs.url, INITIALIZE, bearer(token)), /invalid_token/);
  });

  it('refuses HS256 (a symmetric algorithm)', async () => {
    const token = await new SignJWT(baseClaims(rs.url)).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(new TextEncoder().encode('x'.repeat(32)));
    expectInvalidToken(await rpc(rs.url, INITIALIZE, bearer(token)), /algorithm is not allowed/);
  });

  it('refuses a token signed by the AS keys but with typ JWT (e.g. an ID token)', async () => {
    const token = await as.ctx.keys.sign(baseClaims(rs.url), { typ: 'JWT' });
    expectInvalidToken(await rpc(rs.url, INITIALIZE, bearer(token)), /typ at\+jwt/);
  });

  it('refuses a token signed by the AS keys naming another issuer', async () => {
    const token = await as.ctx.keys.sign({ ...baseClaims(rs.url), iss: 'https://evil.example' }, { typ: 'at+jwt' });
    expectInvalidToken(await rpc(rs.url, INITIALIZE, bearer(token)), /expected authorization server/);
  });

  it('refuses a token signed with a key the AS never published, refetching the JWKS once per cooldown', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const kid = `forged-${randomUUID()}`;
    void (await exportJWK(publicKey));
    const forge = () => new SignJWT(baseClaims(rs.url)).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid }).sign(privateKey);
    // Warm the cache with a real token first.
    await rpc(rs.url, INITIALIZE, bearer(await machineToken(as, 'hr:read', rs.url)));
    const before = rs.mcp.jwks.fetches;
    expectInvalidToken(await rpc(rs.url, INITIALIZE, bearer(await forge())), /unknown key|signature/);
    expectInvalidToken(await rpc(rs.url, INITIALIZE, bearer(await forge())), /unknown key|signature/);
    // The cooldown (5 s) allows at most one refetch for the two unknown-kid tokens.
    expect(rs.mcp.jwks.fetches - before).toBeLessThanOrEqual(1);
  });
});

describe('RFC 9068 §4 key rotation at the authorization server', () => {
  it('a token signed with the new key makes the RS refetch the JWKS once and accept it', async () => {
    // Its own AS: the other tests' servers keep their cached key sets.
    const own = await startAs();
    const rotating = await startMcp(own, 'node', { jwks: { cooldownMs: 0 } });
    try {
      expect((await rpc(rotating.url, INITIALIZE, bearer(await machineToken(own, 'hr:read', rotating.url)))).status).toBe(200);
      const fetched = rotating.mcp.jwks.fetches;
      await own.ctx.keys.rotate();
      const fresh = await machineToken(own, 'hr:read', rotating.url);
      expect((await rpc(rotating.url, INITIALIZE, bearer(fresh))).status).toBe(200);
      expect(rotating.mcp.jwks.fetches).toBe(fetched + 1);
      // Known kid now: no further fetch.
      expect((await rpc(rotating.url, INITIALIZE, bearer(fresh))).status).toBe(200);
      expect(rotating.mcp.jwks.fetches).toBe(fetched + 1);
    } finally {
      await rotating.close();
      await own.close();
    }
  });
});

describe('RFC 9068 §4 step 6 exp / iat with a small leeway (TS-1: token expires mid-session)', () => {
  it('accepts a token, then refuses the same token once it has expired', async () => {
    let shift = 0;
    const timed = await startMcp(as, 'node', { now: () => Math.floor(Date.now() / 1000) + shift, leewaySeconds: 5 });
    try {
      const token = await machineToken(as, 'hr:read', timed.url);
      expect((await rpc(timed.url, LIST_TOOLS, bearer(token))).status).toBe(200);
      shift = 300 + 6; // client_credentials tokens live 300 s; past exp + leeway
      expectInvalidToken(await rpc(timed.url, LIST_TOOLS, bearer(token)), /expired/);
    } finally {
      await timed.close();
    }
  });

  it('refuses a token issued in the future beyond the leeway', async () => {
    const claims = { ...baseClaims(rs.url), iat: Math.floor(Date.now() / 1000) + 3600, exp: Math.floor(Date.now() / 1000) + 7200 };
    const token = await as.ctx.keys.sign(claims, { typ: 'at+jwt' });
    expectInvalidToken(await rpc(rs.url, INITIALIZE, bearer(token)), /issued in the future|iat/);
  });
});

describe('RFC 6750 §2 / TOK-1 / ERR-1 malformed requests and credentials', () => {
  it('answers 400 invalid_request to a token in the query string, even with a valid header', async () => {
    const token = await machineToken(as, 'hr:read', rs.url);
    const res = await rpc(`${rs.url}?access_token=${token}`, INITIALIZE, bearer(token));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('answers 401 invalid_token to another scheme (Basic)', async () => {
    const res = await rpc(rs.url, INITIALIZE, { authorization: 'Basic dXNlcjpwYXNz' });
    expectInvalidToken(res, /scheme must be Bearer or DPoP/);
  });

  it('answers 400 to a malformed Authorization header', async () => {
    const res = await rpc(rs.url, INITIALIZE, { authorization: 'Bearer a b c' });
    expect(res.status).toBe(400);
    expect(res.headers.get('www-authenticate')).toBeNull();
  });

  it('answers 400 to an oversized Authorization header', async () => {
    const res = await rpc(rs.url, INITIALIZE, { authorization: `Bearer ${'a'.repeat(9000)}` });
    expect(res.status).toBe(400);
    expect(res.body.error_description).toMatch(/too large/);
  });

  it('answers 401 to garbage in the token', async () => {
    expectInvalidToken(await rpc(rs.url, INITIALIZE, bearer('not.a.jwt')), /malformed/);
  });

  it('answers 400 to a body that is not JSON, and to JSON that is not JSON-RPC', async () => {
    const token = await machineToken(as, 'hr:read', rs.url);
    const notJson = await rpc(rs.url, '{"jsonrpc":', bearer(token));
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toBe('invalid_request');
    const notRpc = await rpc(rs.url, { hello: 'world' }, bearer(token));
    expect(notRpc.status).toBe(400);
  });

  it('refuses an oversized body without reading it all', async () => {
    const token = await machineToken(as, 'hr:read', rs.url);
    const huge = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(2 * 1024 * 1024) } });
    const res = await rpc(rs.url, huge, bearer(token));
    expect(res.status).toBe(413); // the Node adapter stops reading past maxBodyBytes
    expect(res.body.error).toBe('invalid_request');
  });

  it('answers 404 to other paths', async () => {
    expect((await fetch(`${rs.origin}/elsewhere`)).status).toBe(404);
  });
});
