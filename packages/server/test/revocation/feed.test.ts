/**
 * CO-1 / EN-2 the signed revocation feed: resource servers that validate JWTs locally learn of
 * revocations from one JWT signed by the authorization server (verifiable against its JWKS),
 * paged by seq, without events whose tokens have expired. Runs on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { FEED_TTL, REVOCATION_LIST_TYP, type PublishedRevocation } from '../../src/revocation/feed.ts';
import { REVOCATION_EXPIRY_LEEWAY } from '../../src/storage/repositories/revocations.ts';
import { basic, MCP, postForm, SECRETS, startAgentServer, type AgentServer } from '../agents/support.ts';

interface Feed {
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  events: PublishedRevocation[];
  next: number;
  more: boolean;
}

describe.each(['sqlite', 'postgres'] as const)('CO-1 revocation feed (%s)', (backend) => {
  let s: AgentServer;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  beforeAll(async () => {
    s = await startAgentServer({ dcr: { policy: 'open' } }, backend);
    jwks = createLocalJWKSet((await (await fetch(`${s.issuer}/jwks.json`)).json()) as JSONWebKeySet);
  });
  afterAll(() => s.close());

  async function getFeed(query: string, auth: [string, string] = ['resource-server', SECRETS.rs]): Promise<Response> {
    return fetch(`${s.issuer}/revocations${query}`, { headers: { authorization: basic(...auth) } });
  }

  /** Fetches and verifies one page: signature against the JWKS, typ, issuer, audience, expiry. */
  async function verifiedFeed(query = ''): Promise<Feed> {
    const res = await getFeed(query);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/jwt');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const jwt = await res.text();
    const { payload, protectedHeader } = await jwtVerify(jwt, jwks, { issuer: s.issuer, audience: 'resource-server', typ: REVOCATION_LIST_TYP });
    expect(protectedHeader.alg).toBe('ES256');
    return payload as unknown as Feed;
  }

  async function allEvents(): Promise<PublishedRevocation[]> {
    const out: PublishedRevocation[] = [];
    let after = 0;
    for (let i = 0; i < 100; i++) {
      const page = await verifiedFeed(`?after=${after}&limit=2`);
      out.push(...page.events);
      after = page.next;
      if (!page.more) break;
    }
    return out;
  }

  it('RFC 7009 §2.1: a token revoked at /revoke appears by jti, with its expiry, in a JWT signed with the AS key', async () => {
    const issued = await postForm(`${s.issuer}/token`, { grant_type: 'client_credentials', resource: MCP }, ['resource-server', SECRETS.rs]);
    const jti = String(decodeJwt(issued.json.access_token).jti);
    const revoke = await fetch(`${s.issuer}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('resource-server', SECRETS.rs) },
      body: new URLSearchParams({ token: issued.json.access_token }).toString(),
    });
    expect(revoke.status).toBe(200);
    const feed = await verifiedFeed();
    expect(feed.exp - feed.iat).toBe(FEED_TTL);
    const event = feed.events.find((e) => e.jti === jti);
    expect(event).toMatchObject({ jti, exp: decodeJwt(issued.json.access_token).exp, reason: 'token_revoked' });
    expect(event?.grant_id).toBeUndefined();
  });

  it('a revoked grant appears by grant_id; pages follow `next` in ascending seq until `more` is false', async () => {
    const now = s.ctx.now();
    await s.ctx.storage.revocations.append(
      Array.from({ length: 5 }, (_, i) => ({ jti: null, grantId: `grt_page_${i}`, expiresAt: now + 600, revokedAt: now, reason: 'test' })),
    );
    const events = await allEvents();
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(events.filter((e) => e.grant_id?.startsWith('grt_page_')).map((e) => e.grant_id)).toEqual(['grt_page_0', 'grt_page_1', 'grt_page_2', 'grt_page_3', 'grt_page_4']);
    const last = await verifiedFeed(`?after=${seqs.at(-1)}`);
    expect(last).toMatchObject({ events: [], next: seqs.at(-1), more: false });
  });

  it('leaves out events whose tokens expired longer ago than the leeway resource servers allow', async () => {
    const now = s.ctx.now();
    await s.ctx.storage.revocations.append([
      { jti: 'jti-expired', grantId: null, expiresAt: now - REVOCATION_EXPIRY_LEEWAY - 1, revokedAt: now - 1000, reason: 'test' },
      { jti: 'jti-in-leeway', grantId: null, expiresAt: now - 10, revokedAt: now - 100, reason: 'test' },
      { jti: 'jti-live', grantId: null, expiresAt: now + 100, revokedAt: now, reason: 'test' },
    ]);
    const jtis = (await allEvents()).map((e) => e.jti);
    expect(jtis).toContain('jti-live');
    // Still accepted by a resource server within its exp leeway: it must still learn of the revocation.
    expect(jtis).toContain('jti-in-leeway');
    expect(jtis).not.toContain('jti-expired');
  });

  it('POST with client_secret_post works too; the audience is the caller', async () => {
    const res = await fetch(`${s.issuer}/revocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'agent-client', client_secret: SECRETS.agent, limit: '1' }).toString(),
    });
    // agent-client is registered for client_secret_basic: the method must be the registered one.
    expect(res.status).toBe(401);
    const ok = await fetch(`${s.issuer}/revocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('agent-client', SECRETS.agent) },
      body: new URLSearchParams({ limit: '1' }).toString(),
    });
    const { payload } = await jwtVerify(await ok.text(), jwks, { issuer: s.issuer, audience: 'agent-client', typ: REVOCATION_LIST_TYP });
    expect((payload as unknown as Feed).events.length).toBeLessThanOrEqual(1);
    expect(decodeProtectedHeader((await (await getFeed('')).text())).typ).toBe(REVOCATION_LIST_TYP);
  });

  it('RFC 6749 §2.3 / §5.2: refuses anonymous, public and wrongly authenticated callers, and credentials in the URL', async () => {
    const anonymous = await fetch(`${s.issuer}/revocations`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: string }).error).toBe('invalid_client');
    expect((await getFeed('', ['resource-server', 'wrong-secret'])).status).toBe(401);
    const publicClient = await fetch(`${s.issuer}/revocations?client_id=public-app`);
    const unknownClient = await fetch(`${s.issuer}/revocations?client_id=nobody-at-all`);
    expect(publicClient.status).toBe(401);
    // Refused like an unknown client: the answer does not tell that a public client of that id exists.
    expect(await publicClient.json()).toEqual(await unknownClient.json());
    const inUrl = await fetch(`${s.issuer}/revocations?client_id=resource-server&client_secret=${SECRETS.rs}`);
    expect(inUrl.status).toBe(400);
    expect(((await inUrl.json()) as { error_description: string }).error_description).toContain('URL');
  });

  it('refuses a confidential client registered under the open DCR policy (unauthorized_client): the feed is for operator-registered resource servers', async () => {
    const reg = await fetch(`${s.issuer}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'anonymous reader', redirect_uris: [], grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' }),
    });
    expect(reg.status).toBe(201);
    const { client_id, client_secret } = (await reg.json()) as { client_id: string; client_secret: string };
    for (const res of [
      await getFeed('', [client_id, client_secret]),
      await fetch(`${s.issuer}/revocations`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client_id, client_secret) }, body: '' }),
    ]) {
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).not.toBe('application/jwt');
      const body = (await res.json()) as { error: string; error_description: string };
      expect(body.error).toBe('unauthorized_client');
      expect(body.error_description).toMatch(/self-registered/);
    }
  });

  it('refuses malformed cursors and limits with invalid_request', async () => {
    for (const query of ['?after=-1', '?after=abc', '?after=1.5', '?limit=0', '?limit=1001', '?after=1&after=2']) {
      const res = await getFeed(query);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
    }
  });
});
