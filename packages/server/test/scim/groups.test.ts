/**
 * /Groups over real HTTP (RFC 7644 §3.3–3.6, RFC 7643 §4.2): create with members, member PATCH
 * (the add/remove calls identity providers make), replace, delete, filters, the User's `groups`
 * attribute, uniqueness of displayName, and bad member references.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/test-server.ts';
import { clientToken, ERROR, GROUP_SCHEMA, IDP, newUser, patchOps, scim, startScimServer } from './support.ts';

describe.each(['sqlite', 'postgres'] as const)('SCIM /Groups (%s)', (backend) => {
  let s: TestServer;
  let token: string;
  const users: { id: string; userName: string }[] = [];
  beforeAll(async () => {
    s = await startScimServer({}, backend);
    token = await clientToken(s, IDP, 'mandate:scim');
    for (const name of ['ann', 'ben', 'cat']) users.push((await scim(s, token, 'POST', '/Users', newUser(`${name}@groups.example`, { displayName: name.toUpperCase() }))).json);
  });
  afterAll(() => s.close());

  const call = (method: string, path: string, body?: unknown) => scim(s, token, method, path, body);
  const ann = () => users[0]!;
  const ben = () => users[1]!;
  const cat = () => users[2]!;
  const memberIds = (g: any) => (g.members ?? []).map((m: any) => m.value).sort();

  it('create with members → 201, members shown with display and $ref; the users list the group', async () => {
    const res = await call('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Engineering', externalId: 'okta-g1', members: [{ value: ann().id }, { value: ben().id, type: 'User' }] });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`${s.issuer}/scim/v2/Groups/${res.json.id}`);
    expect(res.json).toMatchObject({ schemas: [GROUP_SCHEMA], displayName: 'Engineering', externalId: 'okta-g1', meta: { resourceType: 'Group' } });
    expect(res.json.members).toContainEqual({ value: ann().id, display: 'ANN', type: 'User', $ref: `${s.issuer}/scim/v2/Users/${ann().id}` });
    const user = (await call('GET', `/Users/${ann().id}`)).json;
    expect(user.groups).toEqual([{ value: res.json.id, display: 'Engineering', type: 'direct', $ref: `${s.issuer}/scim/v2/Groups/${res.json.id}` }]);
  });

  it('409 uniqueness on displayName (case-insensitive); 400 invalidValue for unknown or non-user members, or no displayName', async () => {
    await call('POST', '/Groups', { displayName: 'Sales' });
    expect((await call('POST', '/Groups', { displayName: 'SALES' })).json).toMatchObject({ status: '409', scimType: 'uniqueness' });
    for (const body of [{ displayName: 'X', members: [{ value: 'usr_ghost' }] }, { displayName: 'Y', members: [{ value: ann().id, type: 'Group' }] }, { members: [] }, { displayName: 'Z', members: 'ann' }]) {
      const res = await call('POST', '/Groups', body);
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ schemas: [ERROR], scimType: 'invalidValue' });
    }
  });

  it('PATCH members: add, remove by value filter, replace; displayName; bad paths answered with their scimType', async () => {
    const g = (await call('POST', '/Groups', { displayName: 'Ops' })).json;
    let res = await call('PATCH', `/Groups/${g.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: ann().id }, { value: cat().id }] }));
    expect(memberIds(res.json)).toEqual([ann().id, cat().id].sort());
    res = await call('PATCH', `/Groups/${g.id}`, patchOps({ op: 'remove', path: `members[value eq "${ann().id}"]` }, { op: 'replace', path: 'displayName', value: 'Operations' }));
    expect(memberIds(res.json)).toEqual([cat().id]);
    expect(res.json.displayName).toBe('Operations');
    res = await call('PATCH', `/Groups/${g.id}`, patchOps({ op: 'replace', path: 'members', value: [{ value: ben().id }] }));
    expect(memberIds(res.json)).toEqual([ben().id]);
    expect((await call('GET', `/Groups/${g.id}`)).json).toEqual(res.json);
    expect((await call('PATCH', `/Groups/${g.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: 'usr_ghost' }] }))).json.scimType).toBe('invalidValue');
    expect((await call('PATCH', `/Groups/${g.id}`, patchOps({ op: 'replace', path: 'members[value eq "x"].display', value: 'x' }))).json.scimType).toBe('mutability');
    expect((await call('PATCH', `/Groups/${g.id}`, patchOps({ op: 'add', path: 'owners', value: 'x' }))).json.scimType).toBe('invalidPath');
    expect((await call('PATCH', `/Groups/${g.id}`, patchOps({ op: 'remove' }))).json.scimType).toBe('noTarget');
    expect(memberIds((await call('GET', `/Groups/${g.id}`)).json)).toEqual([ben().id]); // failed PATCHes wrote nothing
  });

  it('PUT replaces; DELETE removes the group (404 after) and its memberships', async () => {
    const g = (await call('POST', '/Groups', { displayName: 'Temp', members: [{ value: cat().id }] })).json;
    const res = await call('PUT', `/Groups/${g.id}`, { displayName: 'Temporary', members: [{ value: ann().id }] });
    expect(res.json).toMatchObject({ displayName: 'Temporary' });
    expect(memberIds(res.json)).toEqual([ann().id]);
    expect((await call('DELETE', `/Groups/${g.id}`)).status).toBe(204);
    expect((await call('GET', `/Groups/${g.id}`)).status).toBe(404);
    expect(((await call('GET', `/Users/${ann().id}`)).json.groups ?? []).map((x: any) => x.value)).not.toContain(g.id);
  });

  it('list with filters on displayName and members, paged', async () => {
    const f = (q: string) => call('GET', `/Groups?filter=${encodeURIComponent(q)}`);
    expect((await f('displayName eq "engineering"')).json.Resources.map((r: any) => r.displayName)).toEqual(['Engineering']);
    expect((await f(`members[value eq "${ann().id}"]`)).json.Resources.map((r: any) => r.displayName)).toContain('Engineering');
    expect((await f('displayName sw "zzz"')).json.totalResults).toBe(0);
    const page = (await call('GET', '/Groups?startIndex=2&count=1')).json;
    expect(page).toMatchObject({ startIndex: 2, itemsPerPage: 1 });
    expect((await call('GET', '/Groups?excludedAttributes=members')).json.Resources.every((r: any) => r.members === undefined)).toBe(true);
    expect((await f('members eq')).json.scimType).toBe('invalidFilter');
  });

  it('deleting a user through SCIM drops them from their groups', async () => {
    const dan = (await call('POST', '/Users', newUser('dan@groups.example'))).json;
    const g = (await call('POST', '/Groups', { displayName: 'Dan’s team', members: [{ value: dan.id }, { value: ben().id }] })).json;
    expect((await call('DELETE', `/Users/${dan.id}`)).status).toBe(204);
    expect(memberIds((await call('GET', `/Groups/${g.id}`)).json)).toEqual([ben().id]);
  });
});
