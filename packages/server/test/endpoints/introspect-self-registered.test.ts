/**
 * RFC 7662 §4: the authorization server must decide whether a caller may introspect a token.
 * Operator-registered confidential clients (resource servers) see every live access token; a
 * self-registered client (DCR, Client ID Metadata Document) is anonymous and sees only its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { CLIENT_ASSERTION_TYPE_JWT_BEARER } from '@mandate/protocol';
import { createCode, exchangeCode, introspect, postForm, startTokenServer, type TokenServer } from '../token/fixtures.ts';
import { startDocumentServer, type DocumentServer } from '../clients/support/document-server.ts';

let docs: DocumentServer;
let server: TokenServer;
let privateKey: CryptoKey;
let cimdId: string;

beforeAll(async () => {
  docs = await startDocumentServer();
  server = await startTokenServer({
    cimd: { devAllowedHosts: [docs.hostPort] },
    dcr: { policy: 'open' },
    selfRegisteredClients: { clientCredentialsScopes: ['mcp:read'] },
  });
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  cimdId = `${docs.origin}/clients/anon.json`;
  docs.json('/clients/anon.json', {
    client_id: cimdId,
    client_name: 'anon',
    redirect_uris: [],
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] },
  });
});
afterAll(async () => {
  await server?.close();
  await docs?.close();
});

async function cimdAuth(): Promise<Record<string, string>> {
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(cimdId)
    .setSubject(cimdId)
    .setAudience(server.issuer)
    .setJti(randomBytes(16).toString('base64url'))
    .setIssuedAt()
    .setExpirationTime('2m')
    .sign(privateKey);
  return { client_assertion_type: CLIENT_ASSERTION_TYPE_JWT_BEARER, client_assertion: assertion };
}

async function usersAccessToken(): Promise<string> {
  const issued = await createCode(server.ctx, { clientId: 'web-app', userId: server.alice.id });
  const res = await exchangeCode(server, issued);
  expect(res.status).toBe(200);
  return String(res.body.access_token);
}

describe('RFC 7662 §4 introspection by self-registered clients', () => {
  it('a CIMD client learns nothing about another client\'s token; the operator\'s resource server still does', async () => {
    const token = await usersAccessToken();
    const byCimd = await postForm(`${server.issuer}/introspect`, { token, ...(await cimdAuth()) });
    expect(byCimd.status).toBe(200);
    expect(byCimd.body).toEqual({ active: false });
    const byResourceServer = await introspect(server, token);
    expect(byResourceServer.body).toMatchObject({ active: true, client_id: 'web-app', sub: server.alice.id });
  });

  it('a CIMD client may introspect its own client_credentials token', async () => {
    const issued = await postForm(server.tokenUrl, { grant_type: 'client_credentials', scope: 'mcp:read', ...(await cimdAuth()) });
    expect(issued.status).toBe(200);
    const own = await postForm(`${server.issuer}/introspect`, { token: String(issued.body.access_token), ...(await cimdAuth()) });
    expect(own.body).toMatchObject({ active: true, client_id: cimdId, scope: 'mcp:read' });
  });

  it('a confidential client registered under the open DCR policy learns nothing about another client\'s token', async () => {
    const reg = await fetch(`${server.issuer}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'open dcr', redirect_uris: [], grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' }),
    });
    expect(reg.status).toBe(201);
    const { client_id, client_secret } = (await reg.json()) as { client_id: string; client_secret: string };
    const token = await usersAccessToken();
    const res = await introspect(server, token, {}, { basic: [client_id, client_secret] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ active: false });
  });
});
