/**
 * Self-registered clients (DCR, Client ID Metadata Documents) and the client credentials grant:
 * an anonymous client must not mint user-less machine tokens with scopes it merely wrote into its
 * own metadata. Scopes come only from the operator's selfRegisteredClients.clientCredentialsScopes,
 * intersected with the client's registered scope; otherwise invalid_scope (RFC 6749 §5.2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { CLIENT_ASSERTION_TYPE_JWT_BEARER } from '@mandate/protocol';
import type { MandateConfigInput } from '../../src/config/config.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { startDocumentServer, type DocumentServer } from '../clients/support/document-server.ts';

const SCOPES = ['openid', 'mcp:read', 'mcp:write', 'mcp:admin', 'mandate:admin'];
const RESOURCE = 'https://mcp.example/mcp';

let docs: DocumentServer;
let privateKey: CryptoKey;
let jwk: Record<string, unknown>;
const servers: TestServer[] = [];

beforeAll(async () => {
  docs = await startDocumentServer();
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await docs?.close();
});

async function start(extra: Partial<MandateConfigInput> = {}): Promise<TestServer> {
  const s = await startTestServer({ cimd: { devAllowedHosts: [docs.hostPort] }, dcr: { policy: 'open' }, scopesSupported: SCOPES, ...extra });
  servers.push(s);
  return s;
}

/** An anonymous document: client_credentials, its own keys, and no scope (so every non-admin scope is registered). */
function anonymousDocument(name: string, scope?: string): string {
  const clientId = `${docs.origin}/clients/${name}.json`;
  docs.json(`/clients/${name}.json`, {
    client_id: clientId,
    client_name: 'anon',
    redirect_uris: [],
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [jwk] },
    ...(scope !== undefined ? { scope } : {}),
  });
  return clientId;
}

async function cimdToken(s: TestServer, clientId: string, scope?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(s.issuer)
    .setJti(randomBytes(16).toString('base64url'))
    .setIssuedAt()
    .setExpirationTime('2m')
    .sign(privateKey);
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE_JWT_BEARER, client_assertion: assertion, resource: RESOURCE, ...(scope ? { scope } : {}) });
  const res = await fetch(`${s.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function registerConfidential(s: TestServer, scope?: string): Promise<{ clientId: string; secret: string }> {
  const res = await fetch(`${s.issuer}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'open dcr', redirect_uris: [], grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post', ...(scope ? { scope } : {}) }),
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { client_id: string; client_secret: string };
  return { clientId: body.client_id, secret: body.client_secret };
}

async function dcrToken(s: TestServer, c: { clientId: string; secret: string }, scope?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.secret, resource: RESOURCE, ...(scope ? { scope } : {}) });
  const res = await fetch(`${s.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('RFC 6749 §5.2 invalid_scope: self-registered clients get no client_credentials scopes by default', () => {
  it('refuses an anonymous CIMD document asking for mcp:admin mcp:write, and with no scope at all', async () => {
    const s = await start();
    const clientId = anonymousDocument('anon-default');
    for (const scope of ['mcp:admin mcp:write', undefined]) {
      const res = await cimdToken(s, clientId, scope);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_scope');
      expect(String(res.body.error_description)).toContain('selfRegisteredClients.clientCredentialsScopes');
      expect(res.body.access_token).toBeUndefined();
    }
  });

  it('refuses a client registered under the open DCR policy the same way', async () => {
    const s = await start();
    const client = await registerConfidential(s);
    for (const scope of ['mcp:admin mcp:write', undefined]) {
      const res = await dcrToken(s, client, scope);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_scope');
    }
  });
});

describe('RFC 6749 §3.3 selfRegisteredClients.clientCredentialsScopes bounds what self-registered clients receive', () => {
  it('CIMD: issues only operator-listed scopes; the default is the listed scopes the client registered', async () => {
    const s = await start({ selfRegisteredClients: { clientCredentialsScopes: ['mcp:read'] } });
    const clientId = anonymousDocument('anon-listed');
    const ok = await cimdToken(s, clientId, 'mcp:read');
    expect(ok.status).toBe(200);
    expect(decodeJwt(String(ok.body.access_token))).toMatchObject({ sub: clientId, scope: 'mcp:read', aud: RESOURCE });
    const byDefault = await cimdToken(s, clientId);
    expect(byDefault.status).toBe(200);
    expect(decodeJwt(String(byDefault.body.access_token)).scope).toBe('mcp:read');
    const wider = await cimdToken(s, clientId, 'mcp:admin mcp:write');
    expect(wider.status).toBe(400);
    expect(wider.body.error).toBe('invalid_scope');
  });

  it('CIMD: an operator-listed scope the document did not register is still refused (intersection)', async () => {
    const s = await start({ selfRegisteredClients: { clientCredentialsScopes: ['mcp:read', 'mcp:write'] } });
    const clientId = anonymousDocument('anon-narrow', 'mcp:read');
    expect((await cimdToken(s, clientId, 'mcp:write')).body.error).toBe('invalid_scope');
    expect(decodeJwt(String((await cimdToken(s, clientId)).body.access_token)).scope).toBe('mcp:read');
  });

  it('DCR open policy: issues only operator-listed scopes', async () => {
    const s = await start({ selfRegisteredClients: { clientCredentialsScopes: ['mcp:read'] } });
    const client = await registerConfidential(s);
    const ok = await dcrToken(s, client);
    expect(ok.status).toBe(200);
    expect(decodeJwt(String(ok.body.access_token)).scope).toBe('mcp:read');
    expect((await dcrToken(s, client, 'mcp:admin')).body.error).toBe('invalid_scope');
  });
});

describe('RFC 6749 §5.2 user-only scopes are dropped before the emptiness check: never an empty-scope token', () => {
  it.each([{ listed: ['openid'] }, { listed: ['openid', 'offline_access'] }])('an operator list of only $listed gives a self-registered client invalid_scope, not an empty token', async ({ listed }) => {
    const s = await start({ selfRegisteredClients: { clientCredentialsScopes: listed } });
    const clientId = anonymousDocument(`anon-user-only-${listed.length}`);
    const cimd = await cimdToken(s, clientId);
    expect(cimd.status).toBe(400);
    expect(cimd.body.error).toBe('invalid_scope');
    expect(cimd.body.access_token).toBeUndefined();
    const dcr = await dcrToken(s, await registerConfidential(s));
    expect(dcr.status).toBe(400);
    expect(dcr.body.error).toBe('invalid_scope');
    expect(dcr.body.access_token).toBeUndefined();
  });
});
