/**
 * Issue 5, "failures marked on the entry and shown to the user", over real HTTP: the account
 * page shows each entry's status with a sentence for its stored error code, offers "Link again"
 * after a refused refresh and only "Unlink again" while a revocation is pending (a new link would
 * overwrite tokens still live at the provider). Everything rendered is escaped, an admin's
 * connection display name and the notice's query included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/storage/records.ts';
import { VaultConflictError } from '../../src/vault/errors.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { createUser } from '../token/fixtures.ts';
import { itemOf, signedInBrowser, vaultPage } from './support/account-browser.ts';

const EVIL_NAME = '<img src=x onerror=alert(1)>';
const TOKENS = { accessToken: 'at_not_shown_0123456789', refreshToken: 'rt_not_shown_0123456789', expiresIn: 3600, scope: null };

describe('entry status on the account page', () => {
  let ts: TestServer;
  const users: Record<string, UserRecord> = {};

  beforeAll(async () => {
    ts = await startTestServer();
    const ctx = ts.server.ctx;
    await ctx.vault.createConnection({
      id: 'tp',
      kind: 'oauth',
      displayName: EVIL_NAME,
      provider: { authorizationEndpoint: 'https://tp.example/auth', tokenEndpoint: 'https://tp.example/token', revocationEndpoint: 'https://tp.example/revoke', clientId: 'mandate', tokenEndpointAuthMethod: 'none', scopes: ['repo'] },
      clientSecret: null,
    });
    // One user per state of their entry at `tp`.
    const states: [string, 'ok' | 'refresh_failed' | 'revoked', string | null][] = [
      ['refused', 'refresh_failed', 'invalid_grant'],
      ['outage', 'ok', 'network_error'],
      ['revoking', 'revoked', 'revocation_failed:network_error'],
      ['odd', 'refresh_failed', '<script>alert(2)</script>'],
      ['removed', 'revoked', 'connection_deleted'],
    ];
    for (const [name, status, lastError] of states) {
      const user = await createUser(ctx, `${name}@example.com`, name);
      users[name] = user;
      const entry = await ctx.vault.linkTokens(user.id, 'tp', TOKENS);
      await ctx.storage.vault.entries.setStatus(entry.id, status, lastError, ctx.now());
    }
    users.fresh = await createUser(ctx, 'fresh@example.com', 'fresh');
  });
  afterAll(async () => {
    await ts?.close();
  });

  const itemFor = async (user: string) => {
    const browser = await signedInBrowser(ts, users[user]!);
    const page = await vaultPage(ts, browser);
    return { browser, csrf: page.csrf, html: page.html, item: itemOf(page.html, 'tp') };
  };

  it('a refused refresh: "Needs linking again" with a sentence for the code, and Link again (which starts a link) beside Unlink', async () => {
    const { browser, csrf, html, item } = await itemFor('refused');
    expect(item).toContain('data-status="refresh_failed"');
    expect(item).toContain('Needs linking again');
    expect(item).toContain('data-error="invalid_grant"');
    expect(item).toContain('The provider no longer accepts this link');
    expect(item).toMatch(/action="\/account\/vault\/link">.*Link again/);
    expect(item).toContain('action="/account/vault/unlink"');
    for (const token of [TOKENS.accessToken, TOKENS.refreshToken]) expect(html).not.toContain(token);
    const relink = await browser.post(`${ts.issuer}/account/vault/link`, { csrf, connection: 'tp' });
    expect(relink.status).toBe(303);
    expect(relink.headers.get('location')).toMatch(/^https:\/\/tp\.example\/auth\?/);
  });

  it('a transient failure keeps the entry linked and says it will be retried', async () => {
    const { item } = await itemFor('outage');
    expect(item).toContain('data-status="ok"');
    expect(item).toContain('It will be tried again.');
    expect(item).not.toContain('Link again');
    expect(item).toContain('>Unlink<');
  });

  it('a pending revocation offers only "Unlink again"; linking is refused before the provider is involved', async () => {
    const { browser, csrf, item } = await itemFor('revoking');
    expect(item).toContain('data-status="revoked"');
    expect(item).toContain('Being unlinked');
    expect(item).toContain('did not confirm that access was withdrawn (network_error). Unlink again to retry.');
    expect(item).toContain('Unlink again');
    expect(item).not.toContain('action="/account/vault/link"');
    const link = await browser.post(`${ts.issuer}/account/vault/link`, { csrf, connection: 'tp' });
    expect(link.headers.get('location')).toBe(`${ts.issuer}/account/vault?error=unlink_pending`);
    expect((await vaultPage(ts, browser, '?error=unlink_pending')).html).toContain('still being unlinked');
    // The vault itself refuses to overwrite the tokens whose revocation is pending.
    await expect(ts.server.ctx.vault.linkTokens(users.revoking!.id, 'tp', TOKENS)).rejects.toBeInstanceOf(VaultConflictError);
    expect((await ts.server.ctx.storage.vault.entries.getFor(users.revoking!.id, 'tp'))?.status).toBe('revoked');
  });

  it("an entry being withdrawn because an admin deleted the connection says so, in words", async () => {
    const { item } = await itemFor('removed');
    expect(item).toContain('data-status="revoked"');
    expect(item).toContain('An administrator removed this provider, so this link is being withdrawn.');
    expect(item).not.toContain('The provider reported an error');
  });

  it('escapes the display name, an unknown error code and the notice query', async () => {
    const { html, item } = await itemFor('odd');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain(EVIL_NAME);
    expect(item).toContain('The provider reported an error (&lt;script&gt;alert(2)&lt;/script&gt;).');
    expect(html).not.toContain('<script>alert(2)');
    const browser = await signedInBrowser(ts, users.fresh!);
    const notice = (await vaultPage(ts, browser, `?linked=${encodeURIComponent('<b>x</b>')}`)).html;
    expect(notice).toContain('Linked &lt;b&gt;x&lt;/b&gt;.');
    // A known id is named by its (escaped) display name.
    expect((await vaultPage(ts, browser, '?unlinked=tp')).html).toContain('Unlinked &lt;img src=x onerror=alert(1)&gt;.');
    expect(itemOf(notice, 'tp')).toContain('data-status="none"');
  });
});
