/**
 * /Users over real HTTP (RFC 7644 §3.3–3.6): create, read, replace, patch, delete, list with
 * filters and pagination, and every bad input answered 400/409 with its scimType — never 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { verifyPassword } from '../../src/crypto/password.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { clientToken, ERROR, IDP, newUser, PATCH_OP, patchOps, scim, startScimServer, USER_SCHEMA } from './support.ts';

describe.each(['sqlite', 'postgres'] as const)('SCIM /Users (%s)', (backend) => {
  let s: TestServer;
  let token: string;
  beforeAll(async () => {
    s = await startScimServer({}, backend);
    token = await clientToken(s, IDP, 'mandate:scim');
  });
  afterAll(() => s.close());

  const call = (method: string, path: string, body?: unknown, contentType?: string) => scim(s, token, method, path, body, contentType);
  let n = 0;
  const unique = (prefix: string) => `${prefix}${++n}-${backend}@example.com`;

  describe('RFC 7644 §3.3 create', () => {
    it('201 with Location, the resource, a Mandate user that can be looked up by email; audited', async () => {
      const userName = unique('Carol');
      const res = await call('POST', '/Users', newUser(userName, { externalId: 'okta-00u1', displayName: 'Carol C', emails: [{ value: 'carol@home.example', type: 'home' }] }));
      expect(res.status).toBe(201);
      expect(res.headers.get('content-type')).toContain('application/scim+json');
      expect(res.headers.get('location')).toBe(`${s.issuer}/scim/v2/Users/${res.json.id}`);
      expect(res.json).toMatchObject({ schemas: [USER_SCHEMA], userName, externalId: 'okta-00u1', displayName: 'Carol C', active: true, name: { givenName: 'Test', familyName: 'User' } });
      expect(res.json.meta).toMatchObject({ resourceType: 'User', location: res.headers.get('location') });
      expect(res.json.password).toBeUndefined();
      const stored = await s.server.ctx.storage.users.getByEmail(userName.toLowerCase());
      expect(stored).toMatchObject({ id: res.json.id, name: 'Carol C', isAdmin: false, disabled: false, passwordHash: null });
      const events = await s.server.ctx.storage.audit.list({ event: 'scim.user.created', userId: res.json.id });
      expect(events[0]).toMatchObject({ clientId: IDP.id, result: 'success' });
    });

    it('concurrent creates of one userName: exactly one 201, the others 409 uniqueness', async () => {
      const userName = unique('race');
      const results = await Promise.all(Array.from({ length: 5 }, () => call('POST', '/Users', newUser(userName))));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
      for (const r of results.filter((x) => x.status === 409)) expect(r.json.scimType).toBe('uniqueness');
    });

    it('a password is hashed, never returned; application/json bodies are accepted too', async () => {
      const res = await call('POST', '/Users', newUser(unique('pw'), { password: 'correct horse battery staple' }), 'application/json');
      expect(res.status).toBe(201);
      expect(res.json.password).toBeUndefined();
      expect(await verifyPassword('correct horse battery staple', (await s.server.ctx.storage.users.get(res.json.id))!.passwordHash!)).toBe(true);
    });

    it('409 uniqueness for a userName already taken, compared case-insensitively', async () => {
      const userName = unique('dup');
      expect((await call('POST', '/Users', newUser(userName))).status).toBe(201);
      const res = await call('POST', '/Users', newUser(userName.toUpperCase()));
      expect(res.status).toBe(409);
      expect(res.json).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
    });

    it.each([
      ['no userName', { schemas: [USER_SCHEMA] }, 'invalidValue'],
      ['userName not an email', newUser('just-a-name'), 'invalidValue'],
      ['userName a number', { userName: 42 }, 'invalidValue'],
      ['short password', newUser('short@example.com', { password: 'short' }), 'invalidValue'],
      ['active not a boolean', newUser('act@example.com', { active: 'maybe' }), 'invalidValue'],
      ['two primary emails', newUser('p@example.com', { emails: [{ value: 'a@x', primary: true }, { value: 'b@x', primary: true }] }), 'invalidValue'],
      ['name not an object', newUser('n@example.com', { name: 'Carol' }), 'invalidValue'],
    ])('400 invalidValue: %s', async (_label, body, scimType) => {
      const res = await call('POST', '/Users', body);
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ schemas: [ERROR], status: '400', scimType });
    });

    it('400 invalidSyntax: malformed JSON, a JSON array, a wrong content type', async () => {
      for (const [body, type] of [['{"userName":', undefined], ['[1,2]', undefined], ['userName=x', 'application/x-www-form-urlencoded']] as const) {
        const res = await call('POST', '/Users', body, type);
        expect(res.status).toBe(400);
        expect(res.json.scimType).toBe('invalidSyntax');
      }
    });

    it('400 invalidSyntax, not a 500: a body nested thousands of levels deep (a PATCH value once overflowed the stack)', async () => {
      const created = (await call('POST', '/Users', newUser(unique('deep')))).json;
      const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
      const res = await call('PATCH', `/Users/${created.id}`, `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"add","path":"emails","value":${deep}}]}`);
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax' });
    });
  });

  describe('RFC 7644 §3.4.1 read, §3.5.1 replace, §3.6 delete', () => {
    it('GET one; attributes/excludedAttributes project the answer; 404 for an unknown id', async () => {
      const created = (await call('POST', '/Users', newUser(unique('dave')))).json;
      expect((await call('GET', `/Users/${created.id}`)).json).toEqual(created);
      const slim = (await call('GET', `/Users/${created.id}?attributes=userName`)).json;
      expect(Object.keys(slim).sort()).toEqual(['id', 'schemas', 'userName']);
      expect((await call('GET', `/Users/${created.id}?excludedAttributes=emails,name`)).json.emails).toBeUndefined();
      const missing = await call('GET', '/Users/usr_nope');
      expect(missing.status).toBe(404);
      expect(missing.json).toMatchObject({ schemas: [ERROR], status: '404' });
    });

    it('PUT replaces writable attributes (absent ones cleared), keeps active when not given', async () => {
      const created = (await call('POST', '/Users', newUser(unique('erin'), { externalId: 'e-1', displayName: 'Erin' }))).json;
      const newName = unique('erin.new');
      const res = await call('PUT', `/Users/${created.id}`, { schemas: [USER_SCHEMA], userName: newName, displayName: 'Erin N' });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ userName: newName, displayName: 'Erin N', active: true });
      expect(res.json.externalId).toBeUndefined();
      expect(res.json.name).toBeUndefined();
      expect((await s.server.ctx.storage.users.get(created.id))!.email).toBe(newName);
    });

    it('PUT to a userName another user holds → 409 uniqueness, nothing written', async () => {
      const a = (await call('POST', '/Users', newUser(unique('fay')))).json;
      const b = (await call('POST', '/Users', newUser(unique('gus')))).json;
      const res = await call('PUT', `/Users/${b.id}`, { userName: a.userName.toUpperCase() });
      expect(res.status).toBe(409);
      expect(res.json.scimType).toBe('uniqueness');
      expect((await call('GET', `/Users/${b.id}`)).json.userName).toBe(b.userName);
    });

    it('DELETE → 204, then 404 and absent from lists; the Mandate user stays, disabled, for the audit trail', async () => {
      const created = (await call('POST', '/Users', newUser(unique('hal')))).json;
      expect((await call('DELETE', `/Users/${created.id}`)).status).toBe(204);
      expect((await call('GET', `/Users/${created.id}`)).status).toBe(404);
      expect((await call('DELETE', `/Users/${created.id}`)).status).toBe(404);
      expect((await call('GET', `/Users?filter=${encodeURIComponent(`id eq "${created.id}"`)}`)).json.totalResults).toBe(0);
      expect((await s.server.ctx.storage.users.get(created.id))!.disabled).toBe(true);
      expect((await s.server.ctx.storage.audit.list({ event: 'scim.user.deleted', userId: created.id })).length).toBe(1);
    });
  });

  it('users created elsewhere (admin API, dev seed, SSO) are visible to SCIM; a deleted userName stays taken (409)', async () => {
    const t = s.server.ctx.now();
    const email = unique('admin-made');
    await s.server.ctx.storage.users.create({ id: `usr_adm${n}${backend}`, email, name: 'Made By Admin', passwordHash: null, totpSecretEncrypted: null, isAdmin: false, disabled: false, createdAt: t, updatedAt: t });
    const found = (await call('GET', `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`)).json;
    expect(found.Resources[0]).toMatchObject({ id: `usr_adm${n}${backend}`, userName: email, displayName: 'Made By Admin', active: true, emails: [{ value: email, type: 'work', primary: true }] });
    expect((await call('DELETE', `/Users/${found.Resources[0].id}`)).status).toBe(204);
    expect((await call('POST', '/Users', newUser(email))).json).toMatchObject({ status: '409', scimType: 'uniqueness' });
  });

  describe('RFC 7644 §3.5.2 PATCH', () => {
    it('replace by path, add a sub-attribute, value-filter paths, no-path replace (Azure AD form)', async () => {
      const created = (await call('POST', '/Users', newUser(unique('ivy')))).json;
      let res = await call('PATCH', `/Users/${created.id}`, patchOps(
        { op: 'replace', path: 'displayName', value: 'Ivy I' },
        { op: 'add', path: 'name.middleName', value: 'M' },
        { op: 'add', path: 'emails[type eq "home"].value', value: 'ivy@home.example' },
        { op: 'Replace', value: { externalId: 'az-1', 'name.givenName': 'Ivy' } },
      ));
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ displayName: 'Ivy I', externalId: 'az-1', name: { givenName: 'Ivy', familyName: 'User', middleName: 'M' } });
      expect(res.json.emails).toContainEqual({ type: 'home', value: 'ivy@home.example' });
      res = await call('PATCH', `/Users/${created.id}`, patchOps({ op: 'remove', path: 'emails[type eq "home"]' }, { op: 'remove', path: 'externalId' }));
      expect(res.json.emails.map((e: any) => e.type)).toEqual(['work']);
      expect(res.json.externalId).toBeUndefined();
      expect((await call('GET', `/Users/${created.id}`)).json).toEqual(res.json);
    });

    it('changes the password (writeOnly)', async () => {
      const created = (await call('POST', '/Users', newUser(unique('jo')))).json;
      const res = await call('PATCH', `/Users/${created.id}`, patchOps({ op: 'replace', path: 'password', value: 'a brand new long password' }));
      expect(res.status).toBe(200);
      expect(res.json.password).toBeUndefined();
      expect(await verifyPassword('a brand new long password', (await s.server.ctx.storage.users.get(created.id))!.passwordHash!)).toBe(true);
    });

    it('changes the password beside an operation on existing values (no hint from the operations alone: prepared again)', async () => {
      const created = (await call('POST', '/Users', newUser(unique('kim'), { emails: [{ value: 'kim@home.example', type: 'home' }] }))).json;
      const res = await call('PATCH', `/Users/${created.id}`, patchOps({ op: 'replace', path: 'emails.type', value: 'other' }, { op: 'replace', path: 'password', value: 'another long new password' }));
      expect(res.status).toBe(200);
      expect(res.json.emails.map((e: any) => e.type)).toEqual(['other']);
      expect(await verifyPassword('another long new password', (await s.server.ctx.storage.users.get(created.id))!.passwordHash!)).toBe(true);
    });

    it.each([
      ['noTarget', patchOps({ op: 'remove' })],
      ['noTarget', patchOps({ op: 'replace', path: 'emails[type eq "x" or type eq "y"].value', value: 'a@b' })],
      ['invalidPath', patchOps({ op: 'replace', path: 'nickName', value: 'x' })],
      ['invalidPath', patchOps({ op: 'replace', path: 'emails[type eq', value: 'x' })],
      ['mutability', patchOps({ op: 'replace', path: 'id', value: 'usr_x' })],
      ['mutability', patchOps({ op: 'add', path: 'groups', value: [{ value: 'grp_x' }] })],
      ['invalidSyntax', patchOps({ op: 'frobnicate', path: 'active', value: false })],
      ['invalidSyntax', { Operations: [{ op: 'replace', path: 'active', value: false }] }],
      ['invalidValue', patchOps({ op: 'replace', path: 'userName', value: 'not-an-email' })],
      ['invalidValue', patchOps({ op: 'remove', path: 'userName' })],
      ['invalidValue', patchOps({ op: 'replace', path: 'active', value: 'perhaps' })],
      ['invalidFilter', patchOps({ op: 'replace', path: 'emails[primary gt true].value', value: 'x' })],
    ])('400 %s', async (scimType, body) => {
      const created = (await call('POST', '/Users', newUser(unique('bad')))).json;
      const res = await call('PATCH', `/Users/${created.id}`, body);
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ schemas: [ERROR], status: '400', scimType });
      expect((await call('GET', `/Users/${created.id}`)).json).toEqual(created); // nothing written
    });

    it('a __proto__ key in a value-filter replace stays a plain key; the answer is a 200 or a 400, never a 500', async () => {
      const created = (await call('POST', '/Users', newUser(unique('proto')))).json;
      const body = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq \\"work\\"]","value":{"__proto__":{"polluted":true},"value":"p@x.example"}}]}`;
      const res = await call('PATCH', `/Users/${created.id}`, body);
      expect(res.status).toBe(200);
      expect(res.json.emails[0].value).toBe('p@x.example');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('property: arbitrary PATCH operations never yield a 500', async () => {
      const created = (await call('POST', '/Users', newUser(unique('fuzz')))).json;
      const paths = fc.constantFrom('active', 'userName', 'name.givenName', 'emails', 'emails[type eq "work"].value', 'members', 'id', 'groups', 'x[', 'name', 'password', 'externalId');
      const operation = fc.record({ op: fc.constantFrom('add', 'remove', 'replace', 'Replace', 'bogus'), path: fc.option(paths, { nil: undefined }), value: fc.jsonValue({ maxDepth: 3 }) }, { requiredKeys: ['op'] });
      await fc.assert(
        fc.asyncProperty(fc.array(operation, { minLength: 0, maxLength: 4 }), async (ops) => {
          const res = await call('PATCH', `/Users/${created.id}`, patchOps(...ops));
          expect([200, 400, 409]).toContain(res.status);
          if (res.status !== 200) expect(res.json.schemas).toEqual([ERROR]);
        }),
        { numRuns: 60 },
      );
    });

    it('PATCH an unknown user → 404', async () => {
      expect((await call('PATCH', '/Users/usr_nope', patchOps({ op: 'replace', path: 'active', value: false }))).status).toBe(404);
    });
  });

  describe('RFC 7644 §3.4.2 list, filter, paginate', () => {
    const domain = `list-${backend}.example`;
    const ids: string[] = [];
    beforeAll(async () => {
      for (let i = 1; i <= 5; i++) {
        const res = await call('POST', '/Users', newUser(`member${i}@${domain}`, { externalId: `x-${i}`, emails: [{ value: `member${i}@${domain}`, type: i % 2 ? 'work' : 'home' }] }));
        ids.push(res.json.id);
      }
    });

    const list = async (query: string) => call('GET', `/Users?${query}`);
    const filter = (f: string) => `filter=${encodeURIComponent(f)}`;

    it('userName eq is case-insensitive (RFC 7643 §4.1.1)', async () => {
      const res = await list(filter(`userName eq "MEMBER3@${domain.toUpperCase()}"`));
      expect(res.json).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 1, startIndex: 1, itemsPerPage: 1 });
      expect(res.json.Resources[0].id).toBe(ids[2]);
      expect((await list(filter('userName eq "nobody@nowhere.example"'))).json.totalResults).toBe(0);
    });

    it('co / sw / ew / pr / and / or / not / value filters over the user list', async () => {
      const idsOf = async (f: string) => (await list(`${filter(f)}&count=200`)).json.Resources.map((r: any) => r.id).sort();
      expect(await idsOf(`userName ew "@${domain}"`)).toEqual([...ids].sort());
      expect(await idsOf(`userName sw "member1@" or externalId eq "x-5"`)).toEqual([ids[0], ids[4]].sort());
      expect(await idsOf(`userName co "${domain}" and not (emails[type eq "work"])`)).toEqual([ids[1], ids[3]].sort());
      expect(await idsOf(`userName co "${domain}" and (externalId eq "x-2" or externalId eq "x-4") and externalId pr`)).toEqual([ids[1], ids[3]].sort());
      expect(await idsOf(`emails[type eq "home" and value ew "${domain}"]`)).toEqual([ids[1], ids[3]].sort());
      expect(await idsOf(`userName co "${domain}" and meta.created ge "2000-01-01T00:00:00Z"`)).toEqual([...ids].sort());
    });

    it('startIndex and count page through the matches; totalResults counts them all', async () => {
      const f = filter(`userName ew "@${domain}"`);
      const first = (await list(`${f}&startIndex=1&count=2`)).json;
      const second = (await list(`${f}&startIndex=3&count=2`)).json;
      const third = (await list(`${f}&startIndex=5&count=2`)).json;
      expect([first.totalResults, second.totalResults, third.totalResults]).toEqual([5, 5, 5]);
      expect([first.itemsPerPage, second.itemsPerPage, third.itemsPerPage]).toEqual([2, 2, 1]);
      expect([...first.Resources, ...second.Resources, ...third.Resources].map((r: any) => r.id).sort()).toEqual([...ids].sort());
      expect(new Set([...first.Resources, ...second.Resources].map((r: any) => r.id)).size).toBe(4);
      const zero = (await list(`${f}&count=0`)).json;
      expect(zero).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
      expect((await list(`${f}&startIndex=0&count=1`)).json.startIndex).toBe(1); // §3.4.2.4: < 1 is 1
      expect((await list(`${f}&startIndex=99`)).json).toMatchObject({ totalResults: 5, itemsPerPage: 0 });
    });

    it.each([
      ['userName eq', 'invalidFilter'],
      ['userName eq "x" and', 'invalidFilter'],
      ['active gt true', 'invalidFilter'],
      ['(userName pr', 'invalidFilter'],
    ])('400 %s → %s', async (f, scimType) => {
      const res = await list(filter(f));
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ schemas: [ERROR], status: '400', scimType });
    });

    it('400 invalidValue for a non-integer startIndex or count', async () => {
      expect((await list('count=abc')).json.scimType).toBe('invalidValue');
      expect((await list('startIndex=1.5')).json.scimType).toBe('invalidValue');
    });
  });
});
