/**
 * HU-1 storage contract, on SQLite and PostgreSQL: TOTP secrets pending during a login
 * (interaction/totp-enrollment.ts) — one per interaction, bound to the user and the password
 * login, gone once expired or used.
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
    expect(await h.storage.totpEnrollments.consume('int_1', 'usr_mallory', 1_700_000_000, 1_700_000_100)).toBeNull();
    expect(await h.storage.totpEnrollments.consume('int_1', 'usr_alice', 1_700_000_001, 1_700_000_100)).toBeNull();
    expect(await h.storage.totpEnrollments.consume('int_1', 'usr_alice', 1_700_000_000, 1_700_000_300)).toBeNull();
    const results = await Promise.all([1, 2, 3].map(() => h.storage.totpEnrollments.consume('int_1', 'usr_alice', 1_700_000_000, 1_700_000_100)));
    expect(results.filter((r) => r !== null)).toEqual([enrollment()]);
    expect(await h.storage.totpEnrollments.get('int_1', 1_700_000_100)).toBeNull();
  });

  it('purges expired rows, also whenever a new enrolment is written', async () => {
    await h.storage.totpEnrollments.put(enrollment({ interactionId: 'int_old', expiresAt: 1_700_000_050 }));
    await h.storage.totpEnrollments.put(enrollment({ interactionId: 'int_live', createdAt: 1_700_000_100 }));
    expect(await h.storage.totpEnrollments.purgeExpired(1_700_000_100)).toBe(0); // int_old went with the second put
    expect(await h.storage.totpEnrollments.purgeExpired(1_700_000_300)).toBe(1);
    expect(await h.storage.totpEnrollments.get('int_live', 1_700_000_000)).toBeNull();
  });
});
