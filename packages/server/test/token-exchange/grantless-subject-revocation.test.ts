/**
 * CO-1 (issue 3) for the bulk revocations of tokens on no grant: a client_credentials token T
 * rests on no grant, so what was exchanged from it (RFC 8693; grants.subject_token_jti = T, no
 * parent grant) hangs off nothing but T. When T is revoked with its client (client deletion, RFC
 * 7592 §2.3) or with its agent (suspension, ID-2), the trees exchanged from T go too, in the same
 * transaction: inactive at introspection (RFC 7662 §2.2), listed on the signed revocation feed.
 * The exchanger here is another client (the resource's, `exchangers`) acting for no agent, so
 * neither the deleted client's grants nor the agent's reach those trees any other way.
 * On SQLite and PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { deleteClient } from '../../src/clients/lifecycle.ts';
import { suspendAgent } from '../../src/agents/registry.ts';
import type { PublishedRevocation } from '../../src/revocation/feed.ts';
import type { Backend } from '../helpers/isolated-database.ts';
import { accessTokenClaims, introspect, postForm, SECRET, type JsonResponse, type PostOptions, type TokenServer } from '../token/fixtures.ts';
import { auth, createAgent, exchange, FILES, MCP, TT, useExchangeServer } from './fixtures.ts';

const jtiOf = (token: string): string => String(accessTokenClaims(token).jti);

/** Every event of the signed feed, as the resource server reads it. */
async function feedEvents(server: TokenServer): Promise<PublishedRevocation[]> {
  const res = await fetch(`${server.issuer}/revocations?after=0&limit=1000`, { headers: { authorization: `Basic ${Buffer.from(`resource-server:${SECRET.rs}`).toString('base64')}` } });
  expect(res.status).toBe(200);
  return (decodeJwt(await res.text()) as unknown as { events: PublishedRevocation[] }).events;
}

interface Exchanged {
  cc: string;
  hops: string[];
  grants: string[];
}

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`CO-1: bulk revocation of grant-less tokens reaches what was exchanged from them (${backend})`, () => {
    const h = useExchangeServer(backend);

    async function ok(res: Promise<JsonResponse>): Promise<string> {
      const done = await res;
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      return done.body.access_token as string;
    }

    /** T (client_credentials, aud MCP) exchanged by mcp-server (MCP's exchanger), then that token exchanged again. */
    async function exchangedFromClientCredentials(client: PostOptions): Promise<Exchanged> {
      const { server } = h;
      const cc = await ok(postForm(server.tokenUrl, { grant_type: 'client_credentials', scope: 'mcp:read', resource: MCP }, client));
      const hop1 = await ok(exchange(server, { subject_token: cc, subject_token_type: TT.accessToken, resource: FILES, scope: 'mcp:read' }, auth.mcp));
      const hop2 = await ok(exchange(server, { subject_token: hop1, subject_token_type: TT.accessToken, resource: MCP, scope: 'mcp:read' }, auth.mcp));
      const grants: string[] = [];
      for (const token of [hop1, hop2]) grants.push((await server.ctx.storage.accessTokens.get(jtiOf(token)))!.grantId!);
      const first = await server.ctx.storage.grants.get(grants[0]!);
      expect(first).toMatchObject({ subjectTokenJti: jtiOf(cc), parentGrantId: null, clientId: 'mcp-server', agentId: null });
      for (const token of [cc, hop1, hop2]) expect((await introspect(server, token)).body.active).toBe(true);
      return { cc, hops: [hop1, hop2], grants };
    }

    async function expectRevoked(e: Exchanged): Promise<void> {
      const { server } = h;
      for (const token of [e.cc, ...e.hops]) expect((await introspect(server, token)).body).toEqual({ active: false });
      for (const id of e.grants) expect((await server.ctx.storage.grants.get(id))?.revokedAt).not.toBeNull();
      const events = await feedEvents(server);
      const jtis = new Set(events.map((ev) => ev.jti));
      for (const token of [e.cc, ...e.hops]) expect(jtis.has(jtiOf(token))).toBe(true);
      expect(events.filter((ev) => ev.grant_id !== undefined && e.grants.includes(ev.grant_id)).map((ev) => ev.grant_id).sort()).toEqual([...e.grants].sort());
    }

    it('RFC 7592 §2.3 / CO-1: deleting the client of T revokes the trees exchanged from T (another client\'s grants), with feed events', async () => {
      const e = await exchangedFromClientCredentials(auth.orchestrator);
      expect(await deleteClient(h.server.ctx, 'orchestrator', 'client deleted by an administrator')).toBe(true);
      await expectRevoked(e);
    });

    it('ID-2 / CO-1: suspending the agent of T\'s client revokes the trees exchanged from T (another client\'s grants), with feed events', async () => {
      const { server } = h;
      const bound = await createAgent(server, server.alice, { clientId: 'plain' });
      const e = await exchangedFromClientCredentials(auth.plain);
      const { revokedGrants } = await suspendAgent(server.ctx, bound.record, 'agent suspended by an administrator', 'admin');
      expect([...revokedGrants].sort()).toEqual([...e.grants].sort());
      await expectRevoked(e);
    });
  });
}
