/**
 * AU-2 custody walk (audit/custody.ts) through our ID tokens, over the storage alone on both
 * backends: a hop whose jti no event issued as an access token is resolved to the issuance that
 * signed it as an ID token (`data.id_token_jti`), and the walk goes on from that event's subject.
 */
import { describe, expect, it } from 'vitest';
import { custodyOfEvent, custodyOfToken } from '../../src/audit/custody.ts';
import type { AuditEventInput } from '../../src/storage/records.ts';
import { BACKENDS, accessToken, grant, useStorage } from '../storage/fixtures.ts';

function event(name: string, data: Record<string, unknown>): AuditEventInput {
  return { event: name, userId: 'usr_alice', clientId: 'client-1', result: 'success', data };
}

const ID_TOKEN = { grantId: 'grt_root', clientId: 'client-1', userId: 'usr_alice', expiresAt: 1_700_000_600, createdAt: 1_700_000_000 };

describe.each(BACKENDS)('AU-2 custody through our ID tokens (%s)', (backend) => {
  const h = useStorage(backend);

  it('an exchange of our ID token → the token_issued event that signed it, with liveness through its grant', async () => {
    const audit = h.storage.audit;
    const issued = await audit.append(event('token_issued', { grant_type: 'authorization_code', grant_id: 'grt_root', jti: 'at_1', id_token_jti: 'idt_1' }), 1_000);
    const exchanged = await audit.append(event('token_exchanged', { jti: 'at_x', subject_jti: 'idt_1' }), 1_001);
    await h.storage.grants.create(grant());
    await h.storage.idTokens.create({ jti: 'idt_1', ...ID_TOKEN });
    const expected = [
      { jti: 'at_x', event: exchanged, subjectJti: 'idt_1', revoked: null },
      { jti: 'idt_1', event: issued, subjectJti: null, revoked: false },
    ];
    expect(await custodyOfToken(h.storage, 'at_x')).toEqual({ hops: expected });
    expect(await custodyOfEvent(h.storage, exchanged.id)).toEqual({ hops: expected });
    // The ID token itself has a custody now (404 before), and its revocation is its grant's.
    expect(await custodyOfToken(h.storage, 'idt_1')).toEqual({ hops: [expected[1]] });
    await h.storage.grants.revokeTree('grt_root', 1_700_000_100, 'consent withdrawn');
    expect((await custodyOfToken(h.storage, 'at_x'))?.hops.map((hop) => hop.revoked)).toEqual([null, true]);
    // Purged by the sweep: still found by its event, liveness unknown.
    expect(await h.storage.idTokens.purgeExpired(1_700_000_601, 10)).toBe(1);
    expect((await custodyOfToken(h.storage, 'at_x'))?.hops.map((hop) => [hop.jti, hop.event?.event, hop.revoked])).toEqual([
      ['at_x', 'token_exchanged', null],
      ['idt_1', 'token_issued', null],
    ]);
  });

  it('the walk goes on from the issuance that signed the ID token when that issuance has a subject', async () => {
    const audit = h.storage.audit;
    const origin = await audit.append(event('token_issued', { grant_type: 'authorization_code', jti: 'at_0' }), 1_000);
    const refreshed = await audit.append(event('token_refreshed', { grant_type: 'refresh_token', jti: 'at_1', id_token_jti: 'idt_1', subject_jti: 'at_0' }), 1_001);
    const exchanged = await audit.append(event('token_exchanged', { jti: 'at_x', subject_jti: 'idt_1' }), 1_002);
    await h.storage.accessTokens.create(accessToken({ jti: 'at_0', grantId: null }));
    expect(await custodyOfToken(h.storage, 'at_x')).toEqual({
      hops: [
        { jti: 'at_x', event: exchanged, subjectJti: 'idt_1', revoked: null },
        { jti: 'idt_1', event: refreshed, subjectJti: 'at_0', revoked: null },
        { jti: 'at_0', event: origin, subjectJti: null, revoked: false },
      ],
    });
  });

  it('only an issuing event whose hashed data names the ID token counts: not a revocation, not an altered copy', async () => {
    const audit = h.storage.audit;
    const forged = await audit.append(event('token_issued', { jti: 'at_1', id_token_jti: 'idt_other' }), 1_000);
    await audit.append(event('token_revoked', { jti: 'at_2', id_token_jti: 'idt_1' }), 1_001);
    await audit.append(event('token_exchanged', { jti: 'at_x', subject_jti: 'idt_1' }), 1_002);
    await h.raw(`update audit_events set id_token_jti = 'idt_1' where seq = ${forged.seq}`);
    expect((await custodyOfToken(h.storage, 'at_x'))?.hops.map((hop) => [hop.jti, hop.event?.event ?? null])).toEqual([
      ['at_x', 'token_exchanged'],
      ['idt_1', null],
    ]);
    expect(await custodyOfToken(h.storage, 'idt_1')).toBeNull();
  });

  it('an ID token recorded whose issuance event does not name it (signed between migrations 0016 and 0017) is a hop with no event, live through its grant', async () => {
    const audit = h.storage.audit;
    await audit.append(event('token_issued', { grant_type: 'authorization_code', grant_id: 'grt_root', jti: 'at_1' }), 1_000); // no id_token_jti yet
    const exchanged = await audit.append(event('token_exchanged', { jti: 'at_x', subject_jti: 'idt_1' }), 1_001);
    await h.storage.grants.create(grant());
    await h.storage.idTokens.create({ jti: 'idt_1', ...ID_TOKEN });
    const hop = { jti: 'idt_1', event: null, subjectJti: null, revoked: false };
    expect(await custodyOfToken(h.storage, 'idt_1')).toEqual({ hops: [hop] }); // not a 404
    expect(await custodyOfToken(h.storage, 'at_x')).toEqual({ hops: [{ jti: 'at_x', event: exchanged, subjectJti: 'idt_1', revoked: null }, hop] });
    await h.storage.grants.revokeTree('grt_root', 1_700_000_100, 'consent withdrawn');
    expect(await custodyOfToken(h.storage, 'idt_1')).toEqual({ hops: [{ ...hop, revoked: true }] });
  });
});
