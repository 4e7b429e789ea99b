import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto/hash.ts';
import { verifyPassword } from '../../src/crypto/password.ts';
import { ADMIN_CLI, useAdminApi } from './support.ts';

const api = useAdminApi();
const call = api.call;

async function grant(id: string, fields: { userId?: string | null; clientId?: string; consentId?: string | null; parentGrantId?: string | null } = {}): Promise<void> {
  await api.ctx.storage.grants.create({
    id, userId: fields.userId ?? null, clientId: fields.clientId ?? ADMIN_CLI.id, agentId: null, parentGrantId: fields.parentGrantId ?? null, scope: 'openid', resources: [],
    authorizationDetails: null, consentId: fields.consentId ?? null, createdAt: api.ctx.now(), revokedAt: null, revokedReason: null,
  });
}

describe('Admin API: clients (RFC 7591 §2 metadata)', () => {
  it('creates a confidential client and returns its generated secret once', async () => {
    const res = await call('POST', '/clients', { client_id: 'billing', client_name: 'Billing', redirect_uris: ['https://billing.example.com/cb'], grant_types: ['authorization_code', 'refresh_token'] });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ client_id: 'billing', source: 'admin', token_endpoint_auth_method: 'client_secret_basic' });
    expect(res.json.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await api.ctx.storage.clients.get('billing'))?.clientSecretHash).toBe(sha256(res.json.client_secret));
    const read = await call('GET', '/clients/billing');
    expect(read.status).toBe(200);
    expect(read.json.client_secret).toBeUndefined();
    expect(JSON.stringify(read.json)).not.toContain(sha256(res.json.client_secret));
  });

  it('generates a client_id when none is given, and lists clients', async () => {
    const res = await call('POST', '/clients', { client_name: 'Public', token_endpoint_auth_method: 'none', redirect_uris: ['http://127.0.0.1/cb'] });
    expect(res.json.client_id).toMatch(/^adm_/);
    expect(res.json.client_secret).toBeUndefined();
    const list = await call('GET', '/clients?limit=500');
    expect(list.json.items.map((c: { client_id: string }) => c.client_id)).toEqual(expect.arrayContaining([ADMIN_CLI.id, 'billing', res.json.client_id]));
  });

  it('refuses bad metadata with the RFC 7591 error codes, and duplicate ids', async () => {
    expect((await call('POST', '/clients', { redirect_uris: ['http://evil.example/cb'] })).json.error).toBe('invalid_redirect_uri');
    expect((await call('POST', '/clients', { redirect_uris: 'nope' })).json.error).toBe('invalid_redirect_uri');
    expect((await call('POST', '/clients', { redirect_uris: ['https://a.example/cb'], grant_types: ['password'] })).json.error).toBe('invalid_client_metadata');
    expect((await call('POST', '/clients', { client_id: 'https://x.example/c.json', redirect_uris: ['https://a.example/cb'] })).json.error).toBe('invalid_client_metadata');
    const dup = await call('POST', '/clients', { client_id: 'billing', redirect_uris: ['https://a.example/cb'] });
    expect(dup.status).toBe(400);
    expect(dup.json.error_description).toContain('already exists');
  });

  it('replaces metadata with PUT, rotates the secret, and refuses to edit static clients', async () => {
    await call('POST', '/clients', { client_id: 'editable', redirect_uris: ['https://e.example/cb'] });
    const put = await call('PUT', '/clients/editable', { client_name: 'Edited', redirect_uris: ['https://e.example/cb2'] });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ client_name: 'Edited', redirect_uris: ['https://e.example/cb2'] });
    expect(put.json.client_secret).toBeUndefined(); // secret kept
    const rotated = await call('POST', '/clients/editable/secret');
    expect(rotated.status).toBe(200);
    expect((await api.ctx.storage.clients.get('editable'))?.clientSecretHash).toBe(sha256(rotated.json.client_secret));
    const toPublic = await call('PUT', '/clients/editable', { token_endpoint_auth_method: 'none', redirect_uris: ['http://127.0.0.1/cb'] });
    expect((await api.ctx.storage.clients.get('editable'))?.clientSecretHash).toBeNull();
    expect(toPublic.status).toBe(200);
    expect((await call('POST', '/clients/editable/secret')).status).toBe(400);
    expect((await call('PUT', `/clients/${ADMIN_CLI.id}`, { grant_types: ['client_credentials'] })).json.error_description).toContain('configuration');
    expect((await call('PUT', '/clients/missing', { redirect_uris: ['https://e.example/cb'] })).status).toBe(404);
  });

  it('deletes a client and revokes its grants', async () => {
    await call('POST', '/clients', { client_id: 'doomed', redirect_uris: ['https://d.example/cb'] });
    await grant('grt_doomed', { clientId: 'doomed' });
    expect((await call('DELETE', '/clients/doomed')).status).toBe(204);
    expect((await call('GET', '/clients/doomed')).status).toBe(404);
    expect((await api.ctx.storage.grants.get('grt_doomed'))?.revokedAt).not.toBeNull();
    expect((await call('DELETE', '/clients/doomed')).status).toBe(404);
  });

  it('validates path and query parameters', async () => {
    expect((await call('GET', '/clients?limit=0')).json.error).toBe('invalid_request');
    expect((await call('GET', '/clients?limit=abc')).status).toBe(400);
  });
});

describe('Admin API: users (HU-1)', () => {
  it('creates a user with a scrypt password hash and an encrypted TOTP secret shown once', async () => {
    const res = await call('POST', '/users', { email: 'carol@example.com', name: 'Carol', password: 'carol-password-1', is_admin: true });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ email: 'carol@example.com', is_admin: true, disabled: false, totp_enrolled: true, has_password: true });
    expect(res.json.totp_secret).toMatch(/^[A-Z2-7]+$/);
    expect(res.json.totp_uri).toMatch(/^otpauth:\/\/totp\//);
    const stored = (await api.ctx.storage.users.get(res.json.id))!;
    expect(await verifyPassword('carol-password-1', stored.passwordHash!)).toBe(true);
    expect(await api.ctx.envelope.decrypt(stored.totpSecretEncrypted!, 'totp')).toBe(res.json.totp_secret);
    const read = await call('GET', `/users/${res.json.id}`);
    expect(read.json.totp_secret).toBeUndefined();
    expect(JSON.stringify(read.json)).not.toContain('scrypt');
    expect((await call('GET', '/users')).json.items.some((u: { id: string }) => u.id === res.json.id)).toBe(true);
  });

  it('refuses duplicate emails, weak passwords and malformed emails', async () => {
    await call('POST', '/users', { email: 'dave@example.com', name: 'Dave', password: 'dave-password-1' });
    expect((await call('POST', '/users', { email: 'DAVE@example.com', name: 'Dave 2', password: 'dave-password-2' })).status).toBe(400);
    expect((await call('POST', '/users', { email: 'eve@example.com', name: 'Eve', password: 'short' })).json.error_description).toContain('12 characters');
    expect((await call('POST', '/users', { email: 'not-an-email', name: 'X', password: 'long-enough-pass' })).status).toBe(400);
    expect((await call('GET', '/users/usr_missing')).status).toBe(404);
  });

  it('disables a user: sessions end, grants are revoked; enabling again works', async () => {
    const user = (await call('POST', '/users', { email: 'frank@example.com', name: 'Frank', password: 'frank-password-1' })).json;
    await grant('grt_frank', { userId: user.id });
    const t = api.ctx.now();
    await api.ctx.storage.sessions.create({ idHash: sha256('frank-session'), userId: user.id, authTime: t, acr: '1', amr: ['pwd'], createdAt: t, expiresAt: t + 3600, revokedAt: null });
    const res = await call('POST', `/users/${user.id}/disable`);
    expect(res.json).toMatchObject({ disabled: true, revoked_grants: ['grt_frank'] });
    expect((await api.ctx.storage.sessions.get(sha256('frank-session')))?.revokedAt).not.toBeNull();
    expect((await call('POST', `/users/${user.id}/enable`)).json.disabled).toBe(false);
  });
});

describe('Admin API: consents and grants', () => {
  it('lists a user\'s consents and revokes one with every grant resting on it', async () => {
    const user = (await call('POST', '/users', { email: 'gina@example.com', name: 'Gina', password: 'gina-password-1' })).json;
    const t = api.ctx.now();
    await api.ctx.storage.consents.create({ id: 'cns_gina', userId: user.id, clientId: 'billing', scope: 'openid', resources: [], authorizationDetails: null, createdAt: t, revokedAt: null });
    await grant('grt_gina', { userId: user.id, clientId: 'billing', consentId: 'cns_gina' });
    await grant('grt_gina_child', { userId: user.id, clientId: 'billing', parentGrantId: 'grt_gina' });
    expect((await call('GET', `/users/${user.id}/consents`)).json.items).toHaveLength(1);
    const revoked = await call('DELETE', '/consents/cns_gina');
    expect(revoked.status).toBe(200);
    expect(revoked.json.revoked_grants.sort()).toEqual(['grt_gina', 'grt_gina_child']);
    expect((await call('GET', `/users/${user.id}/consents`)).json.items).toHaveLength(0);
    expect((await call('GET', `/users/${user.id}/consents?include_revoked=true`)).json.items[0].revoked_at).not.toBeNull();
    expect((await call('DELETE', '/consents/cns_missing')).status).toBe(404);
  });

  it('lists grants by user and client and revokes a grant tree', async () => {
    await grant('grt_a', { userId: 'usr_h', clientId: 'billing' });
    await grant('grt_b', { userId: 'usr_h', clientId: 'billing', parentGrantId: 'grt_a' });
    expect((await call('GET', '/grants?user_id=usr_h')).json.items).toHaveLength(2);
    expect((await call('GET', '/grants?user_id=usr_h&client_id=other')).json.items).toHaveLength(0);
    expect((await call('GET', '/grants/grt_a')).json).toMatchObject({ id: 'grt_a', user_id: 'usr_h', revoked_at: null });
    const res = await call('DELETE', '/grants/grt_a');
    expect(res.json.revoked_grants.sort()).toEqual(['grt_a', 'grt_b']);
    expect((await call('GET', '/grants?user_id=usr_h')).json.items).toHaveLength(0);
    expect((await call('GET', '/grants?user_id=usr_h&include_revoked=true')).json.items).toHaveLength(2);
    expect((await call('GET', '/grants?include_revoked=maybe')).status).toBe(400);
  });
});

describe('Admin API: signing keys and audit', () => {
  it('lists public key information and rotates with overlap', async () => {
    const before = await call('GET', '/keys');
    expect(before.json.items).toHaveLength(1);
    expect(before.json.items[0].public_jwk.d).toBeUndefined();
    expect(JSON.stringify(before.json)).not.toContain('privateJwk');
    const rotated = await call('POST', '/keys/rotate');
    expect(rotated.status).toBe(201);
    expect(rotated.json.status).toBe('active');
    const after = await call('GET', '/keys');
    expect(after.json.items.map((k: { status: string }) => k.status).sort()).toEqual(['active', 'retired']);
    const jwks = (await (await fetch(`${api.issuer}/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual(after.json.items.map((k: { kid: string }) => k.kid).sort());
    // The admin token signed by the retired key still works.
    expect((await call('GET', '/keys')).status).toBe(200);
  });

  it('records every admin call in the audit chain and lists events', async () => {
    const events = await call('GET', '/audit-events?event=admin.createClient');
    expect(events.status).toBe(200);
    expect(events.json.items.length).toBeGreaterThan(0);
    expect(events.json.items[0]).toMatchObject({ event: 'admin.createClient', client_id: ADMIN_CLI.id, result: 'success' });
    expect(events.json.items[0].data.client_id).toBeDefined();
    const all = (await call('GET', '/audit-events?limit=1000')).json.items as { event: string; data: unknown }[];
    expect(all.map((e) => e.event)).toEqual(expect.arrayContaining(['admin.rotateSigningKey', 'admin.revokeConsent', 'admin.revokeGrant', 'admin.disableUser', 'admin.deleteClient']));
    // Reads of personal data are recorded too.
    expect(all.map((e) => e.event)).toEqual(expect.arrayContaining(['admin.listUsers', 'admin.getUser', 'admin.listUserConsents']));
    expect(JSON.stringify(all)).not.toMatch(/client_secret"|password"|totp_secret/);
  });
});
