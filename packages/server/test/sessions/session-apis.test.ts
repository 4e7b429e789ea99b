/**
 * CO-1 (issue 3) and issue 2 through the APIs: administrators list a user's sessions and end one;
 * users list and revoke their own sessions and consents (a user token with mandate:account). Ending a
 * session revokes every grant created under it and their tokens; each revocation is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomToken, sha256 } from '../../src/crypto/hash.ts';
import type { SessionRecord, UserRecord } from '../../src/storage/records.ts';
import { sessionHandle } from '../../src/sessions/session-handle.ts';
import { adminToken, call, createGrant, createUser, grantToken, isActive, ownerToken, startAgentServer, type AgentServer } from '../agents/support.ts';

let s: AgentServer;
let admin: string;
const adminUrl = (path: string) => `${s.issuer}/admin/v1${path}`;
const selfUrl = (path: string) => `${s.issuer}/account/v1${path}`;
const ACCOUNT = 'mandate:account';

beforeAll(async () => {
  s = await startAgentServer();
  admin = await adminToken(s.ctx);
});
afterAll(() => s.close());

async function createSession(user: UserRecord, o: Partial<SessionRecord> = {}): Promise<SessionRecord> {
  const t = s.ctx.now();
  const record: SessionRecord = { idHash: sha256(randomToken()), userId: user.id, authTime: t, acr: 'urn:mandate:acr:mfa', amr: ['pwd', 'otp'], createdAt: t, expiresAt: t + 3600, revokedAt: null, ...o };
  await s.ctx.storage.sessions.create(record);
  return record;
}

/** A session with one grant authorized under it (and a token), plus a grant exchanged from that one. */
async function sessionWithTokens(user: UserRecord) {
  const session = await createSession(user);
  const root = await createGrant(s.ctx, { userId: user.id, sessionIdHash: session.idHash });
  const child = await createGrant(s.ctx, { userId: user.id, parentGrantId: root.id, clientId: 'agent-client' });
  return { session, handle: sessionHandle(session.idHash), root, child, rootToken: (await grantToken(s.ctx, root)).token, childToken: (await grantToken(s.ctx, child)).token };
}

describe('CO-1 admin API: a user\'s sessions', () => {
  it('lists live sessions newest first (ended ones on request), without the stored session key', async () => {
    const user = await createUser(s.ctx, 'list-admin@example.com');
    const old = await createSession(user, { createdAt: 100 });
    const fresh = await createSession(user, { createdAt: 200 });
    const ended = await createSession(user, { revokedAt: 150 });
    const res = await call(adminUrl(`/users/${user.id}/sessions`), admin, 'GET');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.json.items.map((x: { id: string }) => x.id)).toEqual([sessionHandle(fresh.idHash), sessionHandle(old.idHash)]);
    expect(res.json.items[0]).toMatchObject({ user_id: user.id, acr: 'urn:mandate:acr:mfa', amr: ['pwd', 'otp'], revoked_at: null, active: true });
    expect(JSON.stringify(res.json)).not.toContain(fresh.idHash);
    const all = await call(adminUrl(`/users/${user.id}/sessions?include_ended=true`), admin, 'GET');
    expect(all.json.items.find((x: { id: string }) => x.id === sessionHandle(ended.idHash))).toMatchObject({ revoked_at: 150, active: false });
    expect((await call(adminUrl('/users/usr_nobody/sessions'), admin, 'GET')).status).toBe(404);
    expect((await s.ctx.storage.audit.list({ event: 'admin.listUserSessions' })).length).toBeGreaterThan(0);
  });

  it('CO-1 revoking a session revokes its grants, the grants exchanged from them and all their tokens; audited', async () => {
    const user = await createUser(s.ctx, 'revoke-admin@example.com');
    const a = await sessionWithTokens(user);
    const other = await sessionWithTokens(user);
    expect(await isActive(s, a.childToken)).toBe(true);
    const res = await call(adminUrl(`/users/${user.id}/sessions/${a.handle}`), admin, 'DELETE');
    expect(res.status).toBe(200);
    expect(res.json.ended).toBe(true);
    expect(res.json.revoked_grants.sort()).toEqual([a.root.id, a.child.id].sort());
    expect(await isActive(s, a.rootToken)).toBe(false);
    expect(await isActive(s, a.childToken)).toBe(false);
    expect(await isActive(s, other.rootToken)).toBe(true);
    expect((await s.ctx.storage.sessions.get(a.session.idHash))?.revokedAt).not.toBeNull();
    const [event] = await s.ctx.storage.audit.list({ event: 'admin.revokeUserSession' });
    expect(event?.data).toMatchObject({ userId: user.id, sessionId: a.handle, revoked_grants: expect.arrayContaining([a.root.id, a.child.id]) });
  });

  it('another user\'s session, or an unknown one, is 404 and revokes nothing', async () => {
    const user = await createUser(s.ctx, 'victim-admin@example.com');
    const a = await sessionWithTokens(user);
    expect((await call(adminUrl(`/users/${s.bob.id}/sessions/${a.handle}`), admin, 'DELETE')).status).toBe(404);
    expect((await call(adminUrl(`/users/${user.id}/sessions/ses_unknown`), admin, 'DELETE')).status).toBe(404);
    expect(await isActive(s, a.rootToken)).toBe(true);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = await call(`${s.issuer}/admin/v1/openapi.json`, null, 'GET');
    expect(doc.json.paths['/users/{userId}/sessions']?.get?.operationId ?? doc.json.paths['/admin/v1/users/{userId}/sessions']?.get?.operationId).toBe('listUserSessions');
  });
});

describe('issue 2, CO-1 self-service: my sessions and consents', () => {
  it('RFC 6750 §3.1 needs a user token with its own scope, mandate:account: none is 401, without it 403 (mandate:agents is not enough)', async () => {
    const none = await call(selfUrl('/sessions'), null, 'GET');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="mandate-account"');
    expect((await call(selfUrl('/consents'), await ownerToken(s.ctx, s.alice, 'mcp:read'), 'GET')).status).toBe(403);
    const agentsOnly = await call(selfUrl('/sessions'), await ownerToken(s.ctx, s.alice, 'mandate:agents'), 'GET');
    expect(agentsOnly.status).toBe(403);
    expect(agentsOnly.json.error).toBe('insufficient_scope');
    expect(agentsOnly.headers.get('www-authenticate')).toContain('scope="mandate:account"');
    expect((await call(selfUrl('/sessions'), await adminToken(s.ctx), 'GET')).status).toBe(403); // no user behind it
    // ...and mandate:account does not open the agents API.
    expect((await call(`${s.issuer}/agents`, await ownerToken(s.ctx, s.alice, ACCOUNT), 'GET')).status).toBe(403);
  });

  it('RFC 8707 audience: the issuer or the account API URL; a token for the agents API is 401', async () => {
    expect((await call(selfUrl('/sessions'), await ownerToken(s.ctx, s.alice, ACCOUNT, [`${s.issuer}/account/v1`]), 'GET')).status).toBe(200);
    const forAgents = await call(selfUrl('/sessions'), await ownerToken(s.ctx, s.alice, ACCOUNT, [`${s.issuer}/agents`]), 'GET');
    expect(forAgents.status).toBe(401);
    expect(forAgents.json.error).toBe('invalid_token');
  });

  it('lists only my sessions; revoking one cascades to its exchanged tokens and is audited; another user\'s is 404', async () => {
    const user = await createUser(s.ctx, 'self-sessions@example.com');
    const token = await ownerToken(s.ctx, user, ACCOUNT);
    const mine = await sessionWithTokens(user);
    const bobs = await sessionWithTokens(s.bob);
    const list = await call(selfUrl('/sessions'), token, 'GET');
    expect(list.status).toBe(200);
    expect(list.json.items.map((x: { id: string }) => x.id)).toEqual([mine.handle]);
    expect((await call(selfUrl('/sessions?include_ended=maybe'), token, 'GET')).json.error).toBe('invalid_request');

    expect((await call(selfUrl(`/sessions/${bobs.handle}`), token, 'DELETE')).status).toBe(404);
    expect(await isActive(s, bobs.rootToken)).toBe(true);

    const res = await call(selfUrl(`/sessions/${mine.handle}`), token, 'DELETE');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ended: true, revoked_grants: expect.arrayContaining([mine.root.id, mine.child.id]) });
    expect(await isActive(s, mine.childToken)).toBe(false);
    const [event] = await s.ctx.storage.audit.list({ event: 'account.session_revoked', userId: user.id });
    expect(event?.data).toMatchObject({ session_id: mine.handle, revoked_grants: expect.arrayContaining([mine.root.id]) });
  });

  it('lists only my consents; revoking one revokes the grants resting on it and is audited; another user\'s is 404', async () => {
    const user = await createUser(s.ctx, 'self-consents@example.com');
    const token = await ownerToken(s.ctx, user, ACCOUNT);
    const t = s.ctx.now();
    const consent = { id: `cns_${randomToken().slice(0, 12)}`, userId: user.id, clientId: 'owner-app', scope: 'mcp:read', resources: [], authorizationDetails: null, createdAt: t, revokedAt: null };
    await s.ctx.storage.consents.create(consent);
    const bobConsent = { ...consent, id: `cns_${randomToken().slice(0, 12)}`, userId: s.bob.id };
    await s.ctx.storage.consents.create(bobConsent);
    const grant = await createGrant(s.ctx, { userId: user.id, consentId: consent.id });
    const grantAccess = (await grantToken(s.ctx, grant)).token;

    const list = await call(selfUrl('/consents'), token, 'GET');
    expect(list.json.items.map((x: { id: string }) => x.id)).toEqual([consent.id]);
    expect((await call(selfUrl(`/consents/${bobConsent.id}`), token, 'DELETE')).status).toBe(404);
    expect((await s.ctx.storage.consents.get(bobConsent.id))?.revokedAt).toBeNull();

    const res = await call(selfUrl(`/consents/${consent.id}`), token, 'DELETE');
    expect(res.status).toBe(200);
    expect(res.json.revoked_grants).toEqual([grant.id]);
    expect(await isActive(s, grantAccess)).toBe(false);
    expect((await call(selfUrl('/consents'), token, 'GET')).json.items).toEqual([]);
    expect((await call(selfUrl('/consents?include_revoked=true'), token, 'GET')).json.items[0]).toMatchObject({ id: consent.id, revoked_at: expect.any(Number) });
    const [event] = await s.ctx.storage.audit.list({ event: 'account.consent_revoked', userId: user.id });
    expect(event?.data).toMatchObject({ consent_id: consent.id, revoked_grants: [grant.id] });
  });
});
