/**
 * RFC 7644 §3.5.2 PATCH semantics on a resource's JSON: add, remove and replace, with and without
 * a path, sub-attributes, value filters, URN-qualified paths, and the errors each case gives.
 */
import { describe, expect, it } from 'vitest';
import { applyPatch } from '../../src/scim/patch-apply.ts';
import { parsePatchRequest } from '../../src/scim/patch-request.ts';
import { AGENT_EXTENSION, GROUP, PATCH_SCHEMA, USER } from '../../src/scim/resource-schemas.ts';
import { scimTypeOf } from './scim-type.ts';

const user = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  id: 'usr_1',
  userName: 'alice@example.com',
  displayName: 'Alice',
  name: { givenName: 'Alice', familyName: 'Liddell' },
  active: true,
  emails: [{ value: 'alice@example.com', type: 'work', primary: true }],
  meta: { resourceType: 'User' },
};
const group = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: 'grp_1', displayName: 'Eng', members: [{ value: 'usr_1', display: 'Alice' }, { value: 'usr_2', display: 'Bob' }] };

function patch(resource: Record<string, unknown>, operations: unknown[], schema = USER): Record<string, any> {
  return applyPatch(resource, parsePatchRequest({ schemas: [PATCH_SCHEMA], Operations: operations }), schema);
}

describe('RFC 7644 §3.5.2 PATCH', () => {
  it('replace active false, by path and without a path (Okta and Azure AD forms, "False" string included)', () => {
    expect(patch(user, [{ op: 'replace', path: 'active', value: false }]).active).toBe(false);
    expect(patch(user, [{ op: 'replace', value: { active: false } }]).active).toBe(false);
    expect(patch(user, [{ op: 'Replace', path: 'active', value: 'False' }]).active).toBe('False'); // coerced by the input check
    expect(user.active).toBe(true); // the input is not mutated
  });

  it('sub-attributes: set, merge, remove', () => {
    expect(patch(user, [{ op: 'replace', path: 'name.givenName', value: 'Alicia' }]).name).toEqual({ givenName: 'Alicia', familyName: 'Liddell' });
    expect(patch(user, [{ op: 'replace', path: 'name', value: { familyName: 'L.' } }]).name).toEqual({ givenName: 'Alice', familyName: 'L.' });
    expect(patch(user, [{ op: 'remove', path: 'name.familyName' }]).name).toEqual({ givenName: 'Alice' });
    expect(patch(user, [{ op: 'replace', value: { 'name.givenName': 'Al', displayName: 'Al L' } }])).toMatchObject({ name: { givenName: 'Al' }, displayName: 'Al L' });
  });

  it('value filters: replace a matching element’s sub-attribute, or create it when the filter pins it', () => {
    expect(patch(user, [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'a@new.example' }]).emails).toEqual([{ value: 'a@new.example', type: 'work', primary: true }]);
    expect(patch(user, [{ op: 'add', path: 'emails[type eq "home"].value', value: 'a@home.example' }]).emails).toEqual([
      { value: 'alice@example.com', type: 'work', primary: true },
      { type: 'home', value: 'a@home.example' },
    ]);
    expect(patch(user, [{ op: 'remove', path: 'emails[type eq "work"]' }]).emails).toEqual([]);
  });

  it('URN-qualified paths and extension objects', () => {
    expect(patch(user, [{ op: 'replace', path: 'urn:ietf:params:scim:schemas:core:2.0:User:displayName', value: 'A' }]).displayName).toBe('A');
    expect(patch(user, [{ op: 'replace', value: { 'urn:ietf:params:scim:schemas:core:2.0:User:userName': 'b@example.com' } }]).userName).toBe('b@example.com');
  });

  it('group members: add (no duplicates), remove by filter, replace all', () => {
    expect(patch(group, [{ op: 'add', path: 'members', value: [{ value: 'usr_3' }, { value: 'usr_1', display: 'Alice' }] }], GROUP).members.map((m: any) => m.value)).toEqual(['usr_1', 'usr_2', 'usr_3']);
    expect(patch(group, [{ op: 'remove', path: 'members[value eq "usr_2"]' }], GROUP).members).toEqual([{ value: 'usr_1', display: 'Alice' }]);
    expect(patch(group, [{ op: 'replace', path: 'members', value: [{ value: 'usr_9' }] }], GROUP).members).toEqual([{ value: 'usr_9' }]);
    expect(patch(group, [{ op: 'remove', path: 'members' }], GROUP).members).toBeUndefined();
  });

  it('errors: noTarget, invalidPath, mutability, invalidSyntax, invalidValue, invalidFilter', () => {
    expect(scimTypeOf(() => patch(user, [{ op: 'remove' }]))).toBe('noTarget');
    expect(scimTypeOf(() => patch(user, [{ op: 'replace', path: 'emails[type eq "other" or primary eq false].value', value: 'x@y' }]))).toBe('noTarget');
    expect(scimTypeOf(() => patch(user, [{ op: 'replace', path: 'nickName', value: 'x' }]))).toBe('invalidPath');
    expect(scimTypeOf(() => patch(user, [{ op: 'replace', path: 'name.nope', value: 'x' }]))).toBe('invalidPath');
    expect(scimTypeOf(() => patch(user, [{ op: 'replace', path: 'userName[value eq "x"]', value: 'x' }]))).toBe('invalidPath');
    expect(scimTypeOf(() => patch(user, [{ op: 'replace', path: 'emails[type', value: 'x' }]))).toBe('invalidPath');
    expect(scimTypeOf(() => patch(user, [{ op: 'replace', path: 'id', value: 'usr_x' }]))).toBe('mutability');
    expect(scimTypeOf(() => patch(user, [{ op: 'add', path: `${AGENT_EXTENSION}:agents`, value: [{ value: 'agt_x' }] }]))).toBe('mutability');
    expect(scimTypeOf(() => patch(user, [{ op: 'replace', path: 'meta.lastModified', value: 'x' }]))).toBe('mutability');
    expect(scimTypeOf(() => patch(user, [{ op: 'move', path: 'active', value: false }]))).toBe('invalidSyntax');
    expect(scimTypeOf(() => patch(user, [{ op: 'replace', path: 'active' }]))).toBe('invalidSyntax');
    expect(scimTypeOf(() => patch(user, []))).toBe('invalidSyntax');
    expect(scimTypeOf(() => applyPatch(user, parsePatchRequest({ Operations: [{ op: 'add', path: 'displayName', value: 'x' }] }), USER))).toBe('invalidSyntax');
    expect(scimTypeOf(() => patch(user, [{ op: 'replace', value: 'not an object' }]))).toBe('invalidValue');
    expect(scimTypeOf(() => patch(user, [{ op: 'replace', path: 'emails[primary gt true].value', value: 'x' }]))).toBe('invalidFilter');
  });
});
