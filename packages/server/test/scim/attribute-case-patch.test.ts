/**
 * RFC 7643 §2.1 (attribute names are case-insensitive) meets RFC 7644 §3.5.2 PATCH: a value
 * naming a sub-attribute in another letter case replaces the stored one instead of standing next
 * to it (which the input check would refuse as a duplicate). And RFC 7644 §3.4.2: a list query
 * refused with 400 is not audited as a successful read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPatch } from '../../src/scim/patch-apply.ts';
import { parsePatchRequest } from '../../src/scim/patch-request.ts';
import { GROUP, PATCH_SCHEMA, USER } from '../../src/scim/resource-schemas.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { scimTypeOf } from './scim-type.ts';
import { clientToken, IDP, newUser, patchOps, scim, startScimServer } from './support.ts';

const user = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  id: 'usr_1',
  userName: 'alice@example.com',
  name: { givenName: 'Alice', familyName: 'Liddell' },
  emails: [{ value: 'alice@example.com', type: 'work', primary: true }],
};
const group = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: 'grp_1', displayName: 'Eng', members: [{ value: 'usr_1', display: 'Alice' }] };

function patch(resource: Record<string, unknown>, operations: unknown[], schema = USER): Record<string, any> {
  return applyPatch(resource, parsePatchRequest({ schemas: [PATCH_SCHEMA], Operations: operations }), schema);
}

describe('RFC 7643 §2.1 in RFC 7644 §3.5.2 PATCH: sub-attribute keys take the schema’s spelling', () => {
  it('a complex attribute, with a path and without one', () => {
    expect(patch(user, [{ op: 'replace', path: 'name', value: { GivenName: 'B' } }]).name).toEqual({ givenName: 'B', familyName: 'Liddell' });
    expect(patch(user, [{ op: 'add', value: { name: { FAMILYNAME: 'L.' } } }]).name).toEqual({ givenName: 'Alice', familyName: 'L.' });
  });

  it('a multi-valued complex attribute behind a value filter', () => {
    expect(patch(user, [{ op: 'replace', path: 'emails[type eq "work"]', value: { Value: 'a@new.example', PRIMARY: false } }]).emails).toEqual([{ value: 'a@new.example', type: 'work', primary: false }]);
    expect(patch(group, [{ op: 'replace', path: 'members[value eq "usr_1"]', value: { Display: 'Alicia' } }], GROUP).members).toEqual([{ value: 'usr_1', display: 'Alicia' }]);
  });

  it('added elements are compared under the schema’s spelling (no duplicate member)', () => {
    expect(patch(group, [{ op: 'add', path: 'members', value: [{ Value: 'usr_1', DISPLAY: 'Alice' }] }], GROUP).members).toEqual([{ value: 'usr_1', display: 'Alice' }]);
  });

  it('one sub-attribute named twice in the value itself is still refused (invalidSyntax)', () => {
    expect(scimTypeOf(() => patch(user, [{ op: 'replace', path: 'name', value: { givenName: 'A', GivenName: 'B' } }]))).toBe('invalidSyntax');
  });
});

describe('over HTTP', () => {
  let s: TestServer;
  let token: string;
  beforeAll(async () => {
    s = await startScimServer();
    token = await clientToken(s, IDP, 'mandate:scim');
  });
  afterAll(() => s.close());

  it('PATCH /Users replace name {GivenName}: 200, the new value stored once', async () => {
    const created = await scim(s, token, 'POST', '/Users', newUser('case@x.example', { emails: [{ value: 'case@x.example', type: 'work' }] }));
    expect(created.status).toBe(201);
    const res = await scim(s, token, 'PATCH', `/Users/${created.json.id}`, patchOps({ op: 'replace', path: 'name', value: { GivenName: 'B' } }));
    expect(res.status).toBe(200);
    expect(res.json.name).toEqual({ givenName: 'B', familyName: 'User' });
    const read = await scim(s, token, 'GET', `/Users/${created.json.id}`);
    expect(read.json.name).toEqual({ givenName: 'B', familyName: 'User' });
    const emails = await scim(s, token, 'PATCH', `/Users/${created.json.id}`, patchOps({ op: 'replace', path: 'emails[type eq "work"]', value: { Value: 'case2@x.example' } }));
    expect(emails.status).toBe(200);
    expect(emails.json.emails).toEqual([{ value: 'case2@x.example', type: 'work' }]);
  });

  it('RFC 7644 §3.4.2: a list or read refused for a repeated parameter writes no success audit event', async () => {
    const successes = async (event: string) => (await s.server.ctx.storage.audit.list({ event })).filter((e) => e.result === 'success').length;
    for (const [path, event] of [['/Users?count=1&count=2', 'scim.user.list'], ['/Groups?startIndex=1&startIndex=2', 'scim.group.list'], ['/Users?filter=bad%20filter', 'scim.user.list'], ['/Users/usr_x?attributes=a&attributes=b', 'scim.user.read'], ['/Groups/grp_x?excludedAttributes=a&excludedAttributes=b', 'scim.group.read']] as const) {
      const before = await successes(event);
      expect((await scim(s, token, 'GET', path)).status).toBe(400);
      expect(await successes(event)).toBe(before);
    }
    expect((await scim(s, token, 'GET', '/Users?count=1')).status).toBe(200);
    expect(await successes('scim.user.list')).toBe(1);
  });

  it('RFC 7644 §3.4.1: a read of an unknown id is audited as a failure (not_found), never as a successful read', async () => {
    const events = async (event: string) => (await s.server.ctx.storage.audit.list({ event })).map((e) => [e.result, e.reason]);
    for (const [path, event] of [['/Users/usr_unknown', 'scim.user.read'], ['/Groups/grp_unknown', 'scim.group.read']] as const) {
      const before = await events(event);
      expect((await scim(s, token, 'GET', path)).status).toBe(404);
      expect((await events(event)).slice(before.length)).toEqual([['failure', 'not_found']]);
    }
  });
});
