/**
 * HU-1 storage contract, on SQLite and PostgreSQL: TOTP secrets pending during a login
 * (interaction/totp-enrollment.ts) — one per interaction, bound to the user and the password
 * login, kept when another tab of the same login writes at once, gone once expired or used.
 */
import { describe, expect, it } from 'vitest';
import type { TotpEnrollmentRecord } from '../../src/storage/totp-enrollment-storage.ts';
import { BACKENDS, useStorage } from './fixtures.ts';

function enrollment(overrides: Partial<TotpEnrollmentRecord> = {}): TotpEnrollmentRecord {
  return {
    interactionId: 'int_1',
    userId: 'usr_alice',
    loginAt: 1_700_000_000,
    secretEncrypted: 'jwe-1',
    createdAt: 1_700_000_000,
    expiresAt: 1_700_000_300,
    ...overrides,
  };
}

describe.each(BACKENDS)('storage contract (%s): pending TOTP enrolments', (backend) => {
  const h = useStorage(backend);

  it('round-trips; a new login in the same interaction replaces the row; expired rows are not returned', async () => {
    const first = enrollment();
    await h.storage.totpEnrollments.put(first);
    expect(await h.storage.totpEnrollments.get('int_1', 1_700_000_100)).toEqual(first);
    expect(await h.storage.totpEnrollments.get('int_2', 1_700_000_100)).toBeNull();
    const second = enrollment({ loginAt: 1_700_000_200, secretEncrypted: 'jwe-2', createdAt: 1_700_000_200, expiresAt: 1_700_000_500 });
    await h.storage.totpEnrollments.put(second);
    expect(await h.storage.totpEnrollments.get('int_1', 1_700_000_201)).toEqual(second);
    expect(await h.storage.totpEnrollments.get('int_1', 1_700_000_500)).toBeNull();
  });

  it('consume is single use and only for the same user, login and an unexpired row', async () => {
    await h.storage.totpEnrollments.put(enrollment());
    expect(await h.storage.totpEnrollments.consume('int_1', 'usr_mallory', 1_700_000_000, 1_700_000_100, 'jwe-1')).toBeNull();
    expect(await h.storage.totpEnrollments.consume('int_1', 'usr_alice', 1_700_000_001, 1_700_000_100, 'jwe-1')).toBeNull();
    expect(await h.storage.totpEnrollments.consume('int_1', 'usr_alice', 1_700_000_000, 1_700_000_300, 'jwe-1')).toBeNull();
    const results = await Promise.all([1, 2, 3].map(() => h.storage.totpEnrollments.consume('int_1', 'usr_alice', 1_700_000_000, 1_700_000_100, 'jwe-1')));
    expect(results.filter((r) => r !== null)).toEqual([enrollment()]);
    expect(await h.storage.totpEnrollments.get('int_1', 1_700_000_100)).toBeNull();
  });

  it('two tabs of one login writing at once: the first secret stays and every put returns it', async () => {
    const first = enrollment();
    expect(await h.storage.totpEnrollments.put(first)).toEqual(first);
    const again = enrollment({ secretEncrypted: 'jwe-other-tab', createdAt: 1_700_000_010 });
    expect(await h.storage.totpEnrollments.put(again)).toEqual(first);
    expect(await h.storage.totpEnrollments.get('int_1', 1_700_000_100)).toEqual(first);
    const racing = [1, 2, 3].map((n) => enrollment({ interactionId: 'int_race', secretEncrypted: `jwe-tab-${n}` }));
    const stored = await Promise.all(racing.map((r) => h.storage.totpEnrollments.put(r)));
    const winner = await h.storage.totpEnrollments.get('int_race', 1_700_000_100);
    expect(racing).toContainEqual(winner);
    expect(stored).toEqual([winner, winner, winner]);
    // Another user, or an expired row, is replaced.
    const bob = enrollment({ userId: 'usr_bob', secretEncrypted: 'jwe-bob', createdAt: 1_700_000_020 });
    expect(await h.storage.totpEnrollments.put(bob)).toEqual(bob);
    const later = enrollment({ userId: 'usr_bob', secretEncrypted: 'jwe-later', createdAt: 1_700_000_300, expiresAt: 1_700_000_600 });
    expect(await h.storage.totpEnrollments.put(later)).toEqual(later);
  });

  it('consume also ends the user\'s pending enrolments in other interactions, not other users\'', async () => {
    await h.storage.totpEnrollments.put(enrollment());
    await h.storage.totpEnrollments.put(enrollment({ interactionId: 'int_2', loginAt: 1_700_000_005 }));
    await h.storage.totpEnrollments.put(enrollment({ interactionId: 'int_bob', userId: 'usr_bob' }));
    // A refused consume removes nothing.
    expect(await h.storage.totpEnrollments.consume('int_1', 'usr_alice', 1_700_000_001, 1_700_000_100, 'jwe-1')).toBeNull();
    expect(await h.storage.totpEnrollments.get('int_2', 1_700_000_100)).not.toBeNull();
    expect(await h.storage.totpEnrollments.consume('int_1', 'usr_alice', 1_700_000_000, 1_700_000_100, 'jwe-1')).toEqual(enrollment());
    expect(await h.storage.totpEnrollments.get('int_2', 1_700_000_100)).toBeNull();
    expect(await h.storage.totpEnrollments.consume('int_2', 'usr_alice', 1_700_000_005, 1_700_000_100, 'jwe-1')).toBeNull();
    expect(await h.storage.totpEnrollments.get('int_bob', 1_700_000_100)).toMatchObject({ userId: 'usr_bob' });
  });

  it('consume with the checked ciphertext: a row stored since (another secret) is not consumed', async () => {
    await h.storage.totpEnrollments.put(enrollment());
    expect(await h.storage.totpEnrollments.consume('int_1', 'usr_alice', 1_700_000_000, 1_700_000_100, 'jwe-replaced')).toBeNull();
    expect(await h.storage.totpEnrollments.get('int_1', 1_700_000_100)).toEqual(enrollment());
    expect(await h.storage.totpEnrollments.consume('int_1', 'usr_alice', 1_700_000_000, 1_700_000_100, 'jwe-1')).toEqual(enrollment());
  });

  it('two interactions of one user completing at once: exactly one consume succeeds, and both rows are gone', async () => {
    await h.storage.totpEnrollments.put(enrollment());
    await h.storage.totpEnrollments.put(enrollment({ interactionId: 'int_2', loginAt: 1_700_000_005, secretEncrypted: 'jwe-2' }));
    const [a, b] = await Promise.all([
      h.storage.totpEnrollments.consume('int_1', 'usr_alice', 1_700_000_000, 1_700_000_100, 'jwe-1'),
      h.storage.totpEnrollments.consume('int_2', 'usr_alice', 1_700_000_005, 1_700_000_100, 'jwe-2'),
    ]);
    expect([a, b].filter((r) => r !== null)).toHaveLength(1);
    expect(await h.storage.totpEnrollments.get('int_1', 1_700_000_100)).toBeNull();
    expect(await h.storage.totpEnrollments.get('int_2', 1_700_000_100)).toBeNull();
  });

  it('purges expired rows, also whenever a new enrolment is written', async () => {
    await h.storage.totpEnrollments.put(enrollment({ interactionId: 'int_old', expiresAt: 1_700_000_050 }));
    await h.storage.totpEnrollments.put(enrollment({ interactionId: 'int_live', createdAt: 1_700_000_100 }));
    expect(await h.storage.totpEnrollments.purgeExpired(1_700_000_100)).toBe(0); // int_old went with the second put
    expect(await h.storage.totpEnrollments.purgeExpired(1_700_000_300)).toBe(1);
    expect(await h.storage.totpEnrollments.get('int_live', 1_700_000_000)).toBeNull();
  });
});
