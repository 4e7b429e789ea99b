/**
 * CO-1: a client_credentials token issued while its client is being deleted. Deletion revokes the
 * client's grant-less tokens and publishes them on the revocation feed in its own transaction
 * (clients/lifecycle.ts); the token was signed after the client authenticated, before the issuing
 * transaction. A token stored after that revocation would be neither revoked nor published: valid,
 * for a deleted client, at every resource server that validates JWTs locally. The issuing
 * transaction re-reads the client row (`for share` on PostgreSQL, grants/shared/client-liveness.ts):
 *   - a deletion that committed while the token was signed: the request gets invalid_client and
 *     nothing is stored (SQLite and PostgreSQL);
 *   - a deletion that starts after the re-read (PostgreSQL, READ COMMITTED: the only backend where
 *     it can run inside the issuing transaction; SQLite's holds the connection) waits for the
 *     issuance to commit, then revokes and publishes the token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { REVOCATION_LIST_TYP, type PublishedRevocation } from '../../src/revocation/feed.ts';
import { TokenAuditEvent } from '../../src/grants/shared/audit.ts';
import { beforeNextTransaction, hookTransactions, interleaveAtRead } from '../helpers/transaction-hooks.ts';
import { adminToken, basic, call, isActive, MCP, postForm, SECRETS, startAgentServer, type AgentServer, type JsonResult } from '../agents/support.ts';

/** A confidential client_credentials client registered through the admin API; returns its generated secret. */
async function serviceClient(s: AgentServer, admin: string, clientId: string): Promise<string> {
  const created = await call(`${s.issuer}/admin/v1/clients`, admin, 'POST', { client_id: clientId, client_name: 'Doomed', grant_types: ['client_credentials'], scope: 'mcp:read' });
  expect(created.status).toBe(201);
  return String(created.json.client_secret);
}
const requestToken = (s: AgentServer, clientId: string, secret: string) => postForm(`${s.issuer}/token`, { grant_type: 'client_credentials', scope: 'mcp:read', resource: MCP }, [clientId, secret]);
const deleteClient = (s: AgentServer, admin: string, clientId: string) => call(`${s.issuer}/admin/v1/clients/${clientId}`, admin, 'DELETE');

describe.each(['sqlite', 'postgres'] as const)('CO-1 client_credentials issuance racing its client\'s deletion (%s)', (backend) => {
  let s: AgentServer;
  let admin: string;
  beforeAll(async () => {
    s = await startAgentServer({}, backend);
    admin = await adminToken(s.ctx);
  });
  afterAll(() => s.close());

  it('a deletion committed while the token was signed wins: invalid_client, and no token is stored', async () => {
    const secret = await serviceClient(s, admin, 'deleted-while-signing');
    const race = beforeNextTransaction(s.ctx.storage, () => deleteClient(s, admin, 'deleted-while-signing'));
    let issued: JsonResult;
    try {
      issued = await requestToken(s, 'deleted-while-signing', secret);
    } finally {
      race.undo();
    }
    expect(((await race.concurrent) as JsonResult).status).toBe(204);
    expect(issued.status).toBe(401);
    expect(issued.json.error).toBe('invalid_client');
    expect(issued.json.access_token).toBeUndefined();
    // Refused in the issuing transaction, after the client had authenticated.
    const [failure] = await s.ctx.storage.audit.list({ event: TokenAuditEvent.Failed, clientId: 'deleted-while-signing' });
    expect(failure?.reason).toBe('invalid_client: client deleted while the token was issued');
    expect(await s.ctx.storage.audit.list({ event: TokenAuditEvent.Issued, clientId: 'deleted-while-signing' })).toEqual([]);
  });
});

/** Every event of the feed, verified against the server's JWKS, read by the operator's resource server. */
async function feedEvents(s: AgentServer): Promise<PublishedRevocation[]> {
  const jwks = createLocalJWKSet(await s.ctx.keys.jwks());
  const res = await fetch(`${s.issuer}/revocations?limit=1000`, { headers: { authorization: basic('resource-server', SECRETS.rs) } });
  expect(res.status).toBe(200);
  const { payload } = await jwtVerify(await res.text(), jwks, { issuer: s.issuer, audience: 'resource-server', typ: REVOCATION_LIST_TYP });
  return (payload as unknown as { events: PublishedRevocation[] }).events;
}

describe('CO-1 client_credentials issuance racing its client\'s deletion, inside the issuing transaction (postgres)', () => {
  let s: AgentServer;
  let admin: string;
  beforeAll(async () => {
    s = await startAgentServer({}, 'postgres');
    admin = await adminToken(s.ctx);
  });
  afterAll(() => s.close());

  it('a deletion starting just before the token row is stored waits for its commit, then revokes and publishes the token', async () => {
    const clientId = 'deleted-while-stored';
    const secret = await serviceClient(s, admin, clientId);
    // Right before the issuing transaction inserts the token, the deletion runs until its transaction
    // reads the client row: to its commit when that read returns, or 500 ms when the row the
    // issuance holds `for share` stops it (interleaveAtRead); then the insert goes on.
    const race = interleaveAtRead(() => deleteClient(s, admin, clientId));
    const undo = hookTransactions(s.ctx.storage, (tx) => ({
      accessTokens: {
        ...tx.accessTokens,
        create: async (record) => {
          if (record.clientId === clientId) await race.read(Promise.resolve());
          return tx.accessTokens.create(record);
        },
      },
      clients: { ...tx.clients, getForUpdate: (id) => (id === clientId ? race.read(tx.clients.getForUpdate(id)) : tx.clients.getForUpdate(id)) },
    }));
    let issued: JsonResult;
    try {
      issued = await requestToken(s, clientId, secret);
      expect(((await race.concurrent) as JsonResult).status).toBe(204);
    } finally {
      undo();
    }
    expect(issued.status).toBe(200);
    const { jti, exp } = decodeJwt(String(issued.json.access_token));
    expect(await s.ctx.storage.clients.get(clientId)).toBeNull();
    // Stored before the deletion's revocation ran, so revoked by it and published with its exp.
    expect((await s.ctx.storage.accessTokens.get(String(jti)))?.revokedAt).not.toBeNull();
    expect((await feedEvents(s)).find((e) => e.jti === jti)).toMatchObject({ jti, exp, reason: 'client deleted by an administrator' });
    expect(await isActive(s, String(issued.json.access_token))).toBe(false);
  });
});
