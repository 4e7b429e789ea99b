/**
 * Migration 0011: authorization_codes.redirect_uri_sent (RFC 6749 §4.1.3: the token request must
 * repeat redirect_uri when the authorization request included it). Both values round-trip, and a
 * row written without the column (as before the migration) reads as "not sent".
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, code, useStorage } from './fixtures.ts';

describe.each(BACKENDS)('storage contract (%s): authorization_codes.redirect_uri_sent', (backend) => {
  const h = useStorage(backend);

  it('RFC 6749 §4.1.3: round-trips sent and not sent', async () => {
    await h.storage.codes.create(code({ codeHash: 'sent', redirectUriSent: true }));
    await h.storage.codes.create(code({ codeHash: 'omitted', redirectUriSent: false }));
    expect((await h.storage.codes.consume('sent', 1_700_000_010))?.record.redirectUriSent).toBe(true);
    expect((await h.storage.codes.consume('omitted', 1_700_000_010))?.record.redirectUriSent).toBe(false);
  });

  it('a row without the column (written before migration 0011) defaults to not sent', async () => {
    await h.raw(`insert into authorization_codes (code_hash, grant_id, client_id, user_id, redirect_uri, code_challenge, code_challenge_method, scope, resources, auth_time, acr, amr, created_at, expires_at)
      values ('old', 'grt_root', 'client-1', 'usr_alice', 'https://app.example/cb', 'x', 'S256', 'openid', '[]', 1, 'x', '[]', 1, 1000)`);
    expect((await h.storage.codes.consume('old', 10))?.record.redirectUriSent).toBe(false);
  });
});
