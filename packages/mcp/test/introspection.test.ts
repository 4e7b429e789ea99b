/**
 * RFC 7662 introspection at the resource server, revocation while in use, and the AS being
 * unreachable (TS-1). Mandate issues JWTs only, so the introspection path is exercised with
 * `tokenMode: 'introspection'`: the RS treats the JWT as opaque and asks the AS about it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import type { TokenServer } from '../../server/test/token/fixtures.ts';
import type { RevocationFeedSource } from '../src/index.ts';
import { INITIALIZE, LIST_TOOLS, RS_CLIENT, callTool, machineToken, postForm, rpc, startAs, startMcp } from './support/setup.ts';

let as: TokenServer;

beforeAll(async () => {
  as = await startAs();
});
afterAll(async () => {
  await as?.close();
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const introspection = { clientId: RS_CLIENT.id, clientSecret: RS_CLIENT.secret, cacheSeconds: 30 };

async function revoke(token: string): Promise<void> {
  const res = await postForm(`${as.issuer}/revoke`, { token, client_id: 'hr-agent', client_secret: 'hr-agent-secret-0123456789-abcdefghijklmnop' });
  expect(res.status).toBe(200);
}

describe('RFC 7662 §2 tokens validated by introspection (opaque-token mode)', () => {
  it('accepts an active token for this resource and builds the caller from the answer', async () => {
    const rs = await startMcp(as, 'node', { tokenMode: 'introspection', introspection });
    try {
      const token = await machineToken(as, 'hr:write', rs.url);
      const res = await rpc(rs.url, LIST_TOOLS, bearer(token));
      expect(res.status).toBe(200);
      expect(res.body.result.tools.map((t: { name: string }) => t.name)).toContain('update_status');
      const call = await rpc(rs.url, callTool('list_employees'), bearer(token));
      expect(call.status).toBe(200);
      expect(rs.audit.at(-1)?.clientId).toBe('hr-agent');
    } finally {
      await rs.close();
    }
  });

  it('reuses an answer for cacheSeconds, then asks again (a revocation is seen after the window)', async () => {
    let shift = 0;
    const rs = await startMcp(as, 'node', { tokenMode: 'introspection', introspection, now: () => Math.floor(Date.now() / 1000) + shift });
    try {
      const token = await machineToken(as, 'hr:read', rs.url);
      expect((await rpc(rs.url, LIST_TOOLS, bearer(token))).status).toBe(200);
      await revoke(token);
      // Within the 30 s window the cached "active" answer stands.
      expect((await rpc(rs.url, LIST_TOOLS, bearer(token))).status).toBe(200);
      shift = 31;
      const res = await rpc(rs.url, LIST_TOOLS, bearer(token));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('the access token is not active');
    } finally {
      await rs.close();
    }
  });

  it('refuses an active token introspected for another audience', async () => {
    const rs = await startMcp(as, 'node', { tokenMode: 'introspection', introspection });
    try {
      const token = await machineToken(as, 'hr:read', 'https://other.example/mcp');
      const res = await rpc(rs.url, INITIALIZE, bearer(token));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token", error_description="the access token was not issued for this resource"/);
    } finally {
      await rs.close();
    }
  });

  it('refuses an unknown opaque string as inactive', async () => {
    const rs = await startMcp(as, 'node', { tokenMode: 'introspection', introspection });
    try {
      const res = await rpc(rs.url, INITIALIZE, bearer('opaque-0123456789'));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('the access token is not active');
    } finally {
      await rs.close();
    }
  });

  it('in JWT mode with introspection configured, a non-JWT token goes to introspection', async () => {
    const rs = await startMcp(as, 'node', { introspection });
    try {
      const res = await rpc(rs.url, INITIALIZE, bearer('opaque-abcdef'));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('not active');
    } finally {
      await rs.close();
    }
  });

  it('without introspection, a non-JWT token is refused with a clear reason', async () => {
    const rs = await startMcp(as, 'node');
    try {
      const res = await rpc(rs.url, INITIALIZE, bearer('opaque-abcdef'));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('does not introspect');
    } finally {
      await rs.close();
    }
  });
});

describe('TS-1 / CO-1 a token revoked while in use', () => {
  it('is refused once revoked, through the introspection revocation source (JWT verified locally too)', async () => {
    const rs = await startMcp(as, 'node', { revocation: 'introspection', introspection: { ...introspection, cacheSeconds: 0 } });
    try {
      const token = await machineToken(as, 'hr:read', rs.url);
      expect((await rpc(rs.url, LIST_TOOLS, bearer(token))).status).toBe(200);
      await revoke(token);
      const res = await rpc(rs.url, LIST_TOOLS, bearer(token));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('the access token has been revoked');
    } finally {
      await rs.close();
    }
  });
});

describe('TS-1 the authorization server is unreachable', () => {
  it('JWT mode: cached JWKS keep valid tokens working; introspection-only mode fails closed with 503', async () => {
    const own = await startAs();
    const jwtRs = await startMcp(own, 'node');
    const introRs = await startMcp(own, 'node', { tokenMode: 'introspection', introspection: { ...introspection, cacheSeconds: 0 } });
    try {
      const token = await machineToken(own, 'hr:read', jwtRs.url);
      const introToken = await machineToken(own, 'hr:read', introRs.url);
      expect((await rpc(jwtRs.url, LIST_TOOLS, bearer(token))).status).toBe(200);
      expect((await rpc(introRs.url, LIST_TOOLS, bearer(introToken))).status).toBe(200);
      await own.close();
      // The AS is gone: the JWKS cached by the first call still verifies the token.
      expect((await rpc(jwtRs.url, LIST_TOOLS, bearer(token))).status).toBe(200);
      const closed = await rpc(introRs.url, LIST_TOOLS, bearer(introToken));
      expect(closed.status).toBe(503);
      expect(closed.body.error).toBe('temporarily_unavailable');
      // L3: answered before authentication, so nothing about the AS (its URLs, the network error).
      expect(closed.body.error_description).toBe('token introspection is unavailable');
      expect(closed.headers.get('retry-after')).toBe('5');
    } finally {
      await jwtRs.close();
      await introRs.close();
    }
  });

  it('JWT mode with nothing cached: the RS cannot verify and fails closed with 503', async () => {
    const own = await startAs();
    const reported: { err: unknown; info: { status: number; path: string } }[] = [];
    const rs = await startMcp(own, 'node', { hooks: { onError: (err, info) => void reported.push({ err, info }) } });
    const token = await machineToken(own, 'hr:read', rs.url);
    await own.close();
    try {
      const res = await rpc(rs.url, LIST_TOOLS, bearer(token));
      expect(res.status).toBe(503);
      // The operator's hook gets what the caller is not told: the cause, naming the unreachable AS.
      expect(reported).toHaveLength(1);
      expect(reported[0]!.info).toEqual({ status: 503, path: '/mcp' });
      expect(String(((reported[0]!.err as Error).cause as Error).message)).toContain(new URL(own.issuer).host);
      // L3: the discovery error names the AS's (internal) URLs: kept in `cause`, never answered.
      expect(res.body.error_description).toBe('the access token cannot be verified now');
      expect(res.headers.get('www-authenticate') ?? '').not.toContain(new URL(own.issuer).host);
      const err = (await rs.mcp.verifyToken(token).catch((e: unknown) => e)) as Error;
      expect(String((err.cause as Error).message)).toContain(new URL(own.issuer).host);
    } finally {
      await rs.close();
    }
  });
});

describe('CO-1 / EN-2 the signed revocation feed (/revocations)', () => {
  it('learns of a revocation from the feed and refuses the token locally', async () => {
    const rs = await startMcp(as, 'node', { revocation: { feed: { clientId: RS_CLIENT.id, clientSecret: RS_CLIENT.secret, intervalMs: 0, maxStaleSeconds: 3600 } } });
    try {
      const token = await machineToken(as, 'hr:read', rs.url);
      const other = await machineToken(as, 'hr:read', rs.url);
      expect((await rpc(rs.url, LIST_TOOLS, bearer(token))).status).toBe(200);
      await revoke(token);
      await (rs.mcp.revocation as RevocationFeedSource).sync();
      const res = await rpc(rs.url, LIST_TOOLS, bearer(token));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('the access token has been revoked');
      // Only the revoked token: another token of the same client still works.
      expect((await rpc(rs.url, LIST_TOOLS, bearer(other))).status).toBe(200);
    } finally {
      await rs.close();
      await rs.mcp.close();
    }
  });

  it('remembers a revocation until exp + leeway: the revoked token never works again within the leeway', async () => {
    const own = await startAs();
    let shift = 0;
    const rs = await startMcp(own, 'node', {
      now: () => Math.floor(Date.now() / 1000) + shift,
      revocation: { feed: { clientId: RS_CLIENT.id, clientSecret: RS_CLIENT.secret, intervalMs: 0, maxStaleSeconds: 3600 } },
    });
    try {
      const token = await machineToken(own, 'hr:read', rs.url);
      const res = await postForm(`${own.issuer}/revoke`, { token, client_id: 'hr-agent', client_secret: 'hr-agent-secret-0123456789-abcdefghijklmnop' });
      expect(res.status).toBe(200);
      const feed = rs.mcp.revocation as RevocationFeedSource;
      await feed.sync();
      expect((await rpc(rs.url, LIST_TOOLS, bearer(token))).status).toBe(401);
      // 10 s past exp: the token still passes the exp check (30 s leeway); the AS no longer lists
      // the event; the next pull must not forget it.
      shift = Number(decodeJwt(token).exp) + 10 - Math.floor(Date.now() / 1000);
      own.shiftClock(shift);
      await feed.sync();
      const after = await rpc(rs.url, LIST_TOOLS, bearer(token));
      expect(after.status).toBe(401);
      expect(after.headers.get('www-authenticate')).toContain('the access token has been revoked');
    } finally {
      await rs.close();
      await rs.mcp.close();
      await own.close();
    }
  });

  it('fails closed when the feed has been unreadable for longer than maxStaleSeconds', async () => {
    const own = await startAs();
    let shift = 0;
    const rs = await startMcp(own, 'node', {
      now: () => Math.floor(Date.now() / 1000) + shift,
      revocation: { feed: { clientId: RS_CLIENT.id, clientSecret: RS_CLIENT.secret, intervalMs: 0, maxStaleSeconds: 30 } },
    });
    try {
      const token = await machineToken(own, 'hr:read', rs.url);
      expect((await rpc(rs.url, LIST_TOOLS, bearer(token))).status).toBe(200);
      await own.close();
      shift = 31;
      const res = await rpc(rs.url, LIST_TOOLS, bearer(token));
      expect(res.status).toBe(503);
      expect(res.body.error_description).toBe('the revocation feed cannot be read');
    } finally {
      await rs.close();
      await rs.mcp.close();
    }
  });
});
