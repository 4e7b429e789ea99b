import { afterEach, describe, expect, it } from 'vitest';
import type { MandateConfigInput } from '../../src/config/config.ts';
import { sha256 } from '../../src/crypto/hash.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(dcr: MandateConfigInput['dcr'], extra: Partial<MandateConfigInput> = {}): Promise<TestServer> {
  server = await startTestServer({ dcr, ...extra });
  return server;
}

function register(s: TestServer, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${s.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

const mcpClient = {
  client_name: 'Example MCP client',
  redirect_uris: ['http://127.0.0.1:33418/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  application_type: 'native',
};

const webClient = { client_name: 'Web app', redirect_uris: ['https://app.example.com/cb'], application_type: 'web' };

describe('RFC 7591 §3 dynamic client registration (open policy)', () => {
  it('registers a public native client: 201, client_id, no secret, registration access token, no-store', async () => {
    const s = await start({ policy: 'open' });
    const res = await register(s, mcpClient);
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ...mcpClient, registration_client_uri: `${s.issuer}/register/${body.client_id as string}` });
    expect(body.client_secret).toBeUndefined();
    expect(typeof body.registration_access_token).toBe('string');
    expect(typeof body.client_id_issued_at).toBe('number');
    const stored = await s.server.ctx.storage.clients.get(body.client_id as string);
    expect(stored).toMatchObject({ source: 'dcr', registrationAccessTokenHash: sha256(body.registration_access_token as string), clientSecretHash: null });
  });

  it('issues a high-entropy secret to confidential clients, stored only as SHA-256 (RFC 7591 §3.2.1)', async () => {
    const s = await start({ policy: 'open' });
    const body = (await (await register(s, webClient)).json()) as Record<string, string | number>;
    expect(body.token_endpoint_auth_method).toBe('client_secret_basic');
    expect(String(body.client_secret)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.client_secret_expires_at).toBe(0);
    const stored = await s.server.ctx.storage.clients.get(String(body.client_id));
    expect(stored?.clientSecretHash).toBe(sha256(String(body.client_secret)));
    expect(JSON.stringify(stored)).not.toContain(String(body.client_secret));
  });

  it('ignores a client-chosen client_id and gives self-registered clients no admin scope', async () => {
    const s = await start({ policy: 'open' });
    const body = (await (await register(s, { ...mcpClient, client_id: 'chosen' })).json()) as Record<string, string>;
    expect(body.client_id).not.toBe('chosen');
    expect(body.scope?.split(' ')).not.toContain('mandate:admin');
    const admin = await register(s, { ...mcpClient, scope: 'openid mandate:admin' });
    expect(admin.status).toBe(400);
    expect(((await admin.json()) as { error: string }).error).toBe('invalid_client_metadata');
  });

  it('audits the registration', async () => {
    const s = await start({ policy: 'open' });
    const body = (await (await register(s, mcpClient)).json()) as { client_id: string };
    const events = await s.server.ctx.storage.audit.list({ event: 'client.registered' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ clientId: body.client_id, result: 'success', ip: '127.0.0.1' });
    expect(JSON.stringify(events)).not.toMatch(/registration_access_token"?:/);
  });

  it('rate limits registrations per client IP with 429 and Retry-After', async () => {
    const s = await start({ policy: 'open', ratePerMinute: 2 });
    expect((await register(s, mcpClient)).status).toBe(201);
    expect((await register(s, mcpClient)).status).toBe(201);
    const limited = await register(s, mcpClient);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: string }).error).toBe('rate_limited');
    expect(await s.server.ctx.storage.clients.list()).toHaveLength(2);
  });
});

describe('RFC 7591 §3.2.2 registration errors', () => {
  it.each([
    ['a non-loopback http redirect URI', { ...mcpClient, redirect_uris: ['http://evil.example/cb'] }, 'invalid_redirect_uri'],
    ['a redirect URI with a fragment', { ...mcpClient, redirect_uris: ['https://app.example.com/cb#x'] }, 'invalid_redirect_uri'],
    ['redirect_uris not an array', { ...mcpClient, redirect_uris: 'http://127.0.0.1/cb' }, 'invalid_redirect_uri'],
    ['no redirect URI for authorization_code', { ...mcpClient, redirect_uris: [] }, 'invalid_redirect_uri'],
    ['the implicit grant', { ...mcpClient, grant_types: ['implicit'] }, 'invalid_client_metadata'],
    ['client_secret_jwt', { ...mcpClient, token_endpoint_auth_method: 'client_secret_jwt' }, 'invalid_client_metadata'],
    ['both jwks and jwks_uri', { ...mcpClient, jwks_uri: 'https://a.example/jwks', jwks: { keys: [{ kty: 'EC' }] } }, 'invalid_client_metadata'],
    ['a software statement', { ...mcpClient, software_statement: 'eyJ...' }, 'invalid_software_statement'],
  ])('refuses %s with %s and stores nothing', async (_name, body, error) => {
    const s = await start({ policy: 'open' });
    const res = await register(s, body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe(error);
    expect(await s.server.ctx.storage.clients.list()).toHaveLength(0);
  });

  it('refuses malformed bodies with invalid_request', async () => {
    const s = await start({ policy: 'open' });
    for (const [body, headers] of [
      ['{not json', {}],
      ['[1]', {}],
      ['client_name=x', { 'content-type': 'application/x-www-form-urlencoded' }],
      [JSON.stringify({ ...mcpClient, client_name: 'x'.repeat(70_000) }), {}],
    ] as [string, Record<string, string>][]) {
      const res = await register(s, body, headers);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
    }
  });
});

describe('CL-3 registration policies', () => {
  it("'off': the endpoint answers 404 and registers nothing", async () => {
    const s = await start({ policy: 'off' });
    const res = await register(s, mcpClient);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error_description: string }).error_description).toContain('disabled');
    expect(await s.server.ctx.storage.clients.list()).toHaveLength(0);
  });

  it("'allowlist': only approved software_ids register; others get unapproved_software_statement", async () => {
    const s = await start({ policy: 'allowlist', softwareIds: ['approved-tool'] });
    const denied = await register(s, { ...mcpClient, software_id: 'other-tool' });
    expect(denied.status).toBe(400);
    expect(((await denied.json()) as { error: string }).error).toBe('unapproved_software_statement');
    const missing = await register(s, mcpClient);
    expect(((await missing.json()) as { error: string }).error).toBe('unapproved_software_statement');
    const ok = await register(s, { ...mcpClient, software_id: 'approved-tool', software_version: '2.0' });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ software_id: 'approved-tool', software_version: '2.0' });
  });

  it("'allowlist': approved registrations are rate limited per software_id and client IP (a software_id is public), 429 with Retry-After; refused ones do not count", async () => {
    const s = await start({ policy: 'allowlist', softwareIds: ['approved-tool', 'second-tool'], ratePerMinute: 2 });
    // Junk from the same address (behind a proxy: from anyone) does not use up the approved budget.
    for (let i = 0; i < 20; i++) {
      const junk = await register(s, { ...mcpClient, software_id: `junk-${i}` });
      expect(((await junk.json()) as { error: string }).error).toBe('unapproved_software_statement');
    }
    const approved = { ...mcpClient, software_id: 'approved-tool' };
    expect((await register(s, approved)).status).toBe(201);
    expect((await register(s, approved)).status).toBe(201);
    const limited = await register(s, approved);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: string }).error).toBe('rate_limited');
    expect(await s.server.ctx.storage.clients.list()).toHaveLength(2);
  });

  it("'allowlist': approved registrations are also limited per address, whatever their software_id (a longer allowlist does not multiply the budget)", async () => {
    const s = await start({ policy: 'allowlist', softwareIds: ['approved-tool', 'second-tool'], ratePerMinute: 2 });
    expect((await register(s, { ...mcpClient, software_id: 'approved-tool' })).status).toBe(201);
    expect((await register(s, { ...mcpClient, software_id: 'second-tool' })).status).toBe(201);
    for (const softwareId of ['approved-tool', 'second-tool']) expect((await register(s, { ...mcpClient, software_id: softwareId })).status).toBe(429);
    expect(await s.server.ctx.storage.clients.list()).toHaveLength(2);
  });
});

describe('RFC 7592 client configuration endpoint', () => {
  type Registered = Record<string, string> & { auth: Record<string, string> };
  async function registered(s: TestServer, body: Record<string, unknown> = webClient): Promise<Registered> {
    const r = (await (await register(s, body)).json()) as Record<string, string>;
    return Object.assign(r, { auth: { authorization: `Bearer ${r.registration_access_token}` } }) as unknown as Registered;
  }

  // Deviation from RFC 7592 §3 (REQUIRED registration_access_token): only the token's hash is
  // stored, so a read cannot return it; it is rotated on update (§2.2) instead.
  it('§2.1 reads the registration with the registration access token, which it does not return or rotate', async () => {
    const s = await start({ policy: 'open' });
    const r = await registered(s);
    const res = await fetch(r.registration_client_uri!, { headers: r.auth });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ client_id: r.client_id, client_name: 'Web app', registration_client_uri: r.registration_client_uri });
    expect(body.client_secret).toBeUndefined();
    expect(body.registration_access_token).toBeUndefined();
    expect((await fetch(r.registration_client_uri!, { headers: r.auth })).status).toBe(200);
  });

  it('§2.1 answers 401 invalid_token for a missing or wrong token, and for unknown clients', async () => {
    const s = await start({ policy: 'open' });
    const r = await registered(s);
    const missing = await fetch(r.registration_client_uri!);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await fetch(r.registration_client_uri!, { headers: { authorization: 'Bearer wrong-token' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const other = await registered(s);
    const crossed = await fetch(r.registration_client_uri!, { headers: other.auth });
    expect(crossed.status).toBe(401);
    const unknown = await fetch(`${s.issuer}/register/dcr_unknown`, { headers: r.auth });
    expect(unknown.status).toBe(401);
  });

  it('§2.2 replaces the metadata, keeps the secret of a confidential client, rotates the registration access token, and audits', async () => {
    const s = await start({ policy: 'open' });
    const r = await registered(s);
    const update = { client_id: r.client_id, client_secret: r.client_secret, client_name: 'Web app v2', redirect_uris: ['https://app.example.com/cb2'], application_type: 'web' };
    const res = await fetch(r.registration_client_uri!, { method: 'PUT', headers: { ...r.auth, 'content-type': 'application/json' }, body: JSON.stringify(update) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ client_name: 'Web app v2', redirect_uris: ['https://app.example.com/cb2'] });
    expect(body.client_secret).toBeUndefined();
    const stored = await s.server.ctx.storage.clients.get(r.client_id!);
    expect(stored?.clientSecretHash).toBe(sha256(r.client_secret!));
    // RFC 7592 §2.2 / §3: a new registration access token comes back; only its hash is stored, and the old one is dead.
    const rotated = body.registration_access_token as string;
    expect(rotated).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated).not.toBe(r.registration_access_token);
    expect(stored?.registrationAccessTokenHash).toBe(sha256(rotated));
    const old = await fetch(r.registration_client_uri!, { headers: r.auth });
    expect(old.status).toBe(401);
    expect(old.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await fetch(r.registration_client_uri!, { headers: { authorization: `Bearer ${rotated}` } })).status).toBe(200);
    expect(JSON.stringify(await s.server.ctx.storage.audit.list({ event: 'client.updated' }))).not.toContain(rotated);
    expect(await s.server.ctx.storage.audit.list({ event: 'client.updated' })).toHaveLength(1);
  });

  it('§2.2 issues a secret when a public client becomes confidential, and drops it the other way', async () => {
    const s = await start({ policy: 'open' });
    const r = await registered(s, mcpClient);
    const put = (body: Record<string, unknown>, token: string) => fetch(r.registration_client_uri!, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const toConfidential = (await (await put({ ...mcpClient, client_id: r.client_id, token_endpoint_auth_method: 'client_secret_post' }, r.registration_access_token!)).json()) as Record<string, string>;
    expect(toConfidential.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await s.server.ctx.storage.clients.get(r.client_id!))?.clientSecretHash).toBe(sha256(toConfidential.client_secret!));
    // Each update rotates the registration access token (RFC 7592 §2.2), so the next one uses the new token.
    expect((await put({ ...mcpClient, client_id: r.client_id }, toConfidential.registration_access_token!)).status).toBe(200);
    expect((await s.server.ctx.storage.clients.get(r.client_id!))?.clientSecretHash).toBeNull();
  });

  it('§2.2 refuses a different client_id, a wrong client_secret, and bad metadata, changing nothing', async () => {
    const s = await start({ policy: 'open' });
    const r = await registered(s);
    const before = await s.server.ctx.storage.clients.get(r.client_id!);
    const put = (body: Record<string, unknown>) => fetch(r.registration_client_uri!, { method: 'PUT', headers: { ...r.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (const [body, error] of [
      [{ ...webClient, client_id: 'other' }, 'invalid_client_metadata'],
      [{ ...webClient }, 'invalid_client_metadata'],
      [{ ...webClient, client_id: r.client_id, client_secret: 'chosen-by-client' }, 'invalid_client_metadata'],
      [{ ...webClient, client_id: r.client_id, redirect_uris: ['http://app.example.com/cb'] }, 'invalid_redirect_uri'],
    ] as [Record<string, unknown>, string][]) {
      const res = await put(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe(error);
    }
    expect(await s.server.ctx.storage.clients.get(r.client_id!)).toEqual(before);
  });

  it('§2.3 deletes the client (204), revokes its grants, and the token stops working', async () => {
    const s = await start({ policy: 'open' });
    const r = await registered(s);
    const { storage } = s.server.ctx;
    const t = s.server.ctx.now();
    await storage.grants.create({ id: 'grt_dcr', userId: null, clientId: r.client_id!, agentId: null, parentGrantId: null, scope: 'openid', resources: [], authorizationDetails: null, consentId: null, createdAt: t, revokedAt: null, revokedReason: null });
    const res = await fetch(r.registration_client_uri!, { method: 'DELETE', headers: r.auth });
    expect(res.status).toBe(204);
    expect(await storage.clients.get(r.client_id!)).toBeNull();
    expect((await storage.grants.get('grt_dcr'))?.revokedAt).not.toBeNull();
    expect((await fetch(r.registration_client_uri!, { headers: r.auth })).status).toBe(401);
    expect(await storage.audit.list({ event: 'client.deleted' })).toHaveLength(1);
  });

  it('stays available for existing registrations when the policy is off', async () => {
    const s = await start({ policy: 'off' });
    const { storage } = s.server.ctx;
    const t = s.server.ctx.now();
    await storage.clients.create({
      clientId: 'dcr_old', clientSecretHash: null, clientSecretExpiresAt: 0, clientName: 'Old', redirectUris: ['http://127.0.0.1/cb'], grantTypes: ['authorization_code'], responseTypes: ['code'],
      tokenEndpointAuthMethod: 'none', jwks: null, jwksUri: null, scope: 'openid', applicationType: 'native', softwareId: null, softwareVersion: null, requirePar: false,
      dpopBoundAccessTokens: false, registrationAccessTokenHash: sha256('old-token'), source: 'dcr', metadata: {}, createdAt: t, updatedAt: t,
    });
    const res = await fetch(`${s.issuer}/register/dcr_old`, { headers: { authorization: 'Bearer old-token' } });
    expect(res.status).toBe(200);
  });
});
