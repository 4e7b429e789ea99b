/** patchedPassword: the password a User PATCH sets, read from its operations (applied as patch-apply.ts applies them) so it is hashed before the row lock. */
import { describe, expect, it } from 'vitest';
import { patchedPassword } from '../../src/scim/patch-password.ts';
import { parsePatchRequest } from '../../src/scim/patch-request.ts';
import { USER } from '../../src/scim/resource-schemas.ts';
import { patchOps, USER_SCHEMA } from './support.ts';

const read = (...ops: unknown[]) => patchedPassword(parsePatchRequest(patchOps(...ops)), USER);

describe('patchedPassword', () => {
  it('reads a path, any letter case, with or without the core schema URI', () => {
    expect(read({ op: 'replace', path: 'password', value: 'p1 0123456789' })).toBe('p1 0123456789');
    expect(read({ op: 'Add', path: 'PassWord', value: 'p2 0123456789' })).toBe('p2 0123456789');
    expect(read({ op: 'replace', path: `${USER_SCHEMA}:password`, value: 'p3 0123456789' })).toBe('p3 0123456789');
  });

  it('reads a path-less value object', () => {
    expect(read({ op: 'replace', value: { displayName: 'X', Password: 'p4 0123456789' } })).toBe('p4 0123456789');
  });

  it('takes the last operation: a later remove or null clears it', () => {
    expect(read({ op: 'replace', path: 'password', value: 'p5 0123456789' }, { op: 'remove', path: 'password' })).toBeNull();
    expect(read({ op: 'replace', path: 'password', value: 'p6 0123456789' }, { op: 'replace', value: { password: null } })).toBeNull();
    expect(read({ op: 'remove', path: 'password' }, { op: 'add', path: 'password', value: 'p7 0123456789' })).toBe('p7 0123456789');
  });

  it('is null when the operations never set it', () => {
    expect(read({ op: 'replace', path: 'displayName', value: 'Y' }, { op: 'replace', path: 'name.givenName', value: 'Z' })).toBeNull();
    expect(read({ op: 'replace', path: 'password', value: 42 })).toBeNull();
  });

  it('reads the operations as the PATCH applies them: a value filter on password sets nothing', () => {
    expect(read({ op: 'replace', path: 'password[value eq "x"]', value: 'p8 0123456789' })).toBeNull();
  });

  it('is null (no hint: the PATCH prepares its password again) when an operation needs what an empty User lacks', () => {
    expect(read({ op: 'replace', path: 'emails.type', value: 'work' }, { op: 'replace', path: 'password', value: 'p9 0123456789' })).toBeNull();
  });
});
