/**
 * CL-6 / AS-6: a client identified by a Client ID Metadata Document URL works for the client
 * credentials grant too — private_key_jwt against the keys its document publishes, through the
 * real /token endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { CLIENT_ASSERTION_TYPE_JWT_BEARER } from '@mandate/protocol';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { startDocumentServer, type DocumentServer } from '../clients/support/document-server.ts';

let docs: DocumentServer;
let ts: TestServer;
let privateKey: CryptoKey;
let clientId: string;

beforeAll(async () => {
  docs = await startDocumentServer();
  // The operator lets self-registered clients hold both MCP scopes through client credentials;
  // what a given document client may get is then limited by the scope its document names.
  ts = await startTestServer({
    cimd: { devAllowedHosts: [docs.hostPort] },
    scopesSupported: ['openid', 'mcp:read', 'mcp:write'],
    selfRegisteredClients: { clientCredentialsScopes: ['mcp:read', 'mcp:write'] },
  });
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  clientId = `${docs.origin}/clients/reporting-agent.json`;
  docs.json('/clients/reporting-agent.json', {
    client_id: clientId,
    client_name: 'Reporting Agent',
    redirect_uris: [],
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [jwk] },
    scope: 'mcp:read',
  });
});
afterAll(async () => {
  await ts?.close();
  await docs?.close();
});

async function assertion(aud: string, signingKey: CryptoKey = privateKey): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(aud)
    .setJti(randomBytes(16).toString('base64url'))
    .setIssuedAt()
    .setExpirationTime('2m')
    .sign(signingKey);
}

async function clientCredentials(clientAssertion: string, scope = 'mcp:read'): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${ts.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE_JWT_BEARER, client_assertion: clientAssertion, scope, resource: 'https://reports.example/api' }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('CL-6 client credentials for a Client ID Metadata Document client (RFC 7523 §2.2 private_key_jwt)', () => {
  it('issues an access token to the document URL as client_id', async () => {
    const res = await clientCredentials(await assertion(`${ts.issuer}/token`));
    expect(res.status).toBe(200);
    const claims = decodeJwt(String(res.body.access_token));
    expect(claims).toMatchObject({ client_id: clientId, sub: clientId, scope: 'mcp:read', aud: 'https://reports.example/api', iss: ts.issuer });
    expect(res.body.refresh_token).toBeUndefined();
  });

  it('refuses an assertion signed with a key the document does not publish', async () => {
    const stranger = await generateKeyPair('ES256');
    const res = await clientCredentials(await assertion(ts.issuer, stranger.privateKey));
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it('refuses a scope the document does not allow', async () => {
    const res = await clientCredentials(await assertion(ts.issuer), 'mcp:write');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_scope');
  });
});
