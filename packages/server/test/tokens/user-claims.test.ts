import { describe, expect, it } from 'vitest';
import { CLAIMS_SUPPORTED, userClaims } from '../../src/tokens/user-claims.ts';
import type { UserRecord } from '../../src/storage/records.ts';

const bob: UserRecord = {
  id: 'usr_bob',
  email: 'bob@example.com',
  name: 'Bob Example',
  passwordHash: 'scrypt$…',
  totpSecretEncrypted: 'eyJ…',
  isAdmin: true,
  disabled: false,
  createdAt: 1_700_000_000,
  updatedAt: 1_700_000_500,
};

describe('OIDC Core §5.4: claims released per scope value', () => {
  it('openid alone releases only sub, the stable user id (§8 public identifier)', () => {
    expect(userClaims(bob, 'openid')).toEqual({ sub: 'usr_bob' });
    expect(userClaims(bob, [])).toEqual({ sub: 'usr_bob' });
  });

  it('profile releases name and updated_at', () => {
    expect(userClaims(bob, 'openid profile')).toEqual({ sub: 'usr_bob', name: 'Bob Example', updated_at: 1_700_000_500 });
  });

  it('email releases email and email_verified (false: Mandate runs no mailbox check)', () => {
    expect(userClaims(bob, new Set(['openid', 'email']))).toEqual({ sub: 'usr_bob', email: 'bob@example.com', email_verified: false });
  });

  it('never releases credentials or internal flags, whatever the scope', () => {
    const claims = userClaims(bob, 'openid profile email offline_access mandate:admin');
    expect(Object.keys(claims).sort()).toEqual(['email', 'email_verified', 'name', 'sub', 'updated_at']);
    expect(JSON.stringify(claims)).not.toMatch(/scrypt|eyJ/);
  });

  it('an empty name is left out rather than released as ""', () => {
    expect(userClaims({ ...bob, name: '' }, 'profile')).not.toHaveProperty('name');
  });

  it('every claim it can release is advertised in claims_supported', () => {
    const all = userClaims(bob, 'openid profile email');
    for (const name of Object.keys(all)) expect(CLAIMS_SUPPORTED).toContain(name);
  });
});
