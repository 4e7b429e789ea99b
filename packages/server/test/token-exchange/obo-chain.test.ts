/**
 * On-behalf-of A → B → C (seed 000 pattern 1, DL-1) over real HTTP: the test plays the AI host
 * holding the user's token for the orchestrator; the orchestrator, the MCP server and the files
 * API are three node:http services on loopback. Each validates the token it receives with jose
 * against the authorization server's JWKS (exact audience, typ at+jwt) and the first two exchange
 * it for a token for the next hop. Every hop: audience-restricted to the next hop, the user
 * preserved, scope narrowed, the actor chain grown.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { TokenServer } from '../token/fixtures.ts';
import { auth, createAgent, exchange, FILES, MCP, ORCHESTRATOR, startExchangeServer, TT, userToken, type TestAgent } from './fixtures.ts';
import type { PostOptions } from '../token/fixtures.ts';

interface Hop {
  /** The resource identifier this service is (its tokens' exact `aud`). */
  resource: string;
  /** How it authenticates at the token endpoint when exchanging, and where and with what scope it calls next. */
  next?: { auth: PostOptions; url: () => string; resource: string; scope: string };
}

interface Service {
  server: Server;
  url: string;
}

describe('DL-1 on-behalf-of chain A → B → C over real HTTP', () => {
  let as: TokenServer;
  let orchestratorAgent: TestAgent;
  let mcpAgent: TestAgent;
  const services: Service[] = [];

  /** A resource server: validates its bearer token, then (if it has a next hop) exchanges it and calls on. */
  function startService(hop: Hop): Promise<Service> {
    const jwks = createRemoteJWKSet(new URL(`${as.issuer}/jwks.json`));
    const handler = async (req: IncomingMessage, res: ServerResponse) => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const header = req.headers.authorization ?? '';
      if (!header.startsWith('Bearer ')) return send(401, { error: 'invalid_token' });
      const token = header.slice('Bearer '.length);
      let claims: JWTPayload;
      try {
        ({ payload: claims } = await jwtVerify(token, jwks, { issuer: as.issuer, audience: hop.resource, typ: 'at+jwt' }));
      } catch (err) {
        return send(401, { error: 'invalid_token', error_description: (err as Error).message });
      }
      if (!hop.next) return send(200, { seen: [claims] });
      const exchanged = await exchange(as, { subject_token: token, subject_token_type: TT.accessToken, resource: hop.next.resource, scope: hop.next.scope }, hop.next.auth);
      if (exchanged.status !== 200) return send(502, { exchange: exchanged.body });
      const downstream = await fetch(hop.next.url(), { headers: { authorization: `Bearer ${exchanged.body.access_token}` } });
      const body = (await downstream.json()) as { seen?: JWTPayload[] };
      return send(downstream.status, { seen: [claims, ...(body.seen ?? [])], downstream: body });
    };
    return new Promise((resolve) => {
      const server = createServer((req, res) => void handler(req, res));
      server.listen(0, '127.0.0.1', () => {
        const service = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
        services.push(service);
        resolve(service);
      });
    });
  }

  let orchestrator: Service;
  let mcpServer: Service;
  let filesApi: Service;

  beforeAll(async () => {
    as = await startExchangeServer();
    // The orchestrator and the MCP server are agents: each client is bound to its agent (ID-2).
    orchestratorAgent = await createAgent(as, as.alice, { clientId: 'orchestrator', name: 'orchestrator' });
    mcpAgent = await createAgent(as, as.alice, { clientId: 'mcp-server', name: 'mcp server' });
    filesApi = await startService({ resource: FILES });
    mcpServer = await startService({ resource: MCP, next: { auth: auth.mcp, url: () => filesApi.url, resource: FILES, scope: 'files:read' } });
    orchestrator = await startService({ resource: ORCHESTRATOR, next: { auth: auth.orchestrator, url: () => mcpServer.url, resource: MCP, scope: 'mcp:read files:read' } });
  });
  afterAll(async () => {
    for (const s of services) await new Promise<void>((resolve) => s.server.close(() => resolve()));
    await as?.close();
  });

  it('each hop sees its own audience, the same user, a narrower scope and a longer actor chain', async () => {
    const { token } = await userToken(as, { scope: 'openid mcp:read mcp:write files:read files:write' });
    const res = await fetch(orchestrator.url, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { seen: JWTPayload[] };
    expect(res.status, JSON.stringify(body)).toBe(200);
    const [a, b, c] = body.seen as [JWTPayload, JWTPayload, JWTPayload];

    expect(a).toMatchObject({ sub: as.alice.id, aud: ORCHESTRATOR, client_id: 'host' });
    expect(b).toMatchObject({ sub: as.alice.id, aud: MCP, client_id: 'orchestrator', scope: 'files:read mcp:read', act: { sub: orchestratorAgent.record.id } });
    expect(c).toMatchObject({ sub: as.alice.id, aud: FILES, client_id: 'mcp-server', scope: 'files:read', act: { sub: mcpAgent.record.id, act: { sub: orchestratorAgent.record.id } } });
    const scopes = body.seen.map((t) => new Set(String(t.scope).split(' ')));
    for (let i = 1; i < scopes.length; i++) for (const s of scopes[i]!) expect(scopes[i - 1]!.has(s)).toBe(true);
    expect(scopes[2]!.size).toBeLessThan(scopes[0]!.size);
  });

  it('a token is accepted only at its own hop: the user token sent straight to the MCP server is refused', async () => {
    const { token } = await userToken(as);
    const res = await fetch(mcpServer.url, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
  });

  it('a hop cannot exchange a token that is not addressed to it', async () => {
    const { token } = await userToken(as); // aud = ORCHESTRATOR
    const res = await exchange(as, { subject_token: token, subject_token_type: TT.accessToken, resource: FILES }, auth.mcp);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('revoking the user grant stops the whole chain at once', async () => {
    const { token, grantId } = await userToken(as);
    await as.ctx.storage.grants.revokeTree(grantId, as.ctx.now(), 'user revoked consent');
    const res = await fetch(orchestrator.url, { headers: { authorization: `Bearer ${token}` } });
    // The orchestrator validates the JWT locally (still signed and unexpired) but the exchange is refused.
    expect(res.status).toBe(502);
    const body = (await res.json()) as { exchange: { error: string; error_description: string } };
    expect(body.exchange.error).toBe('invalid_request');
    expect(body.exchange.error_description).toMatch(/revoked/);
  });
});
