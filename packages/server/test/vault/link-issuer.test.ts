/**
 * RFC 9207 on the vault's account-link callback: with the provider's issuer saved on the
 * connection, an `iss` in the authorization response must equal it (exact string compare), and a
 * provider advertising authorization_response_iss_parameter_supported must send one. A refused
 * callback spends no code, is audited like callback_connection_mismatch and shows the link error.
 * Without a saved issuer nothing changes. The loopback provider (oidc-provider) sends `iss`.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/storage/records.ts';
import type { TokenVault } from '../../src/vault/service.ts';
import { providerDigest } from '../../src/vault/connections.ts';
import { LinkIssuerError } from '../../src/vault/link.ts';
import { VaultConnectionIntegrityError, VaultInvalidConnectionError } from '../../src/vault/errors.ts';
import { BACKENDS, useStorage } from '../storage/fixtures.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { inputValue, type TestBrowser } from '../interaction/support/browser.ts';
import { createUser } from '../token/fixtures.ts';
import { authorize, CLIENT_SECRET, startThirdPartyProvider, type ThirdPartyProvider } from './support/third-party-provider.ts';
import { signedInBrowser } from './support/account-browser.ts';
import { createGithubLike, githubLikeMetadata, harness, useThirdPartyProvider } from './support/vault-fixture.ts';

/** `tp-iss`: issuer saved and `iss` required; `tp-iss-optional`: issuer saved, `iss` not advertised. */
async function createIssuerConnections(vault: TokenVault, provider: ThirdPartyProvider): Promise<void> {
  await vault.createConnection({ id: 'tp-iss', kind: 'oauth', displayName: 'Sends iss', provider: githubLikeMetadata(provider, { issuer: provider.issuer, authorizationResponseIssParameterSupported: true }), clientSecret: CLIENT_SECRET });
  await vault.createConnection({ id: 'tp-iss-optional', kind: 'oauth', displayName: 'May send iss', provider: githubLikeMetadata(provider, { issuer: provider.issuer }), clientSecret: CLIENT_SECRET });
}

describe.each(BACKENDS)('RFC 9207 iss on the link callback, vault (%s)', (backend) => {
  const h = useStorage(backend);
  const tp = useThirdPartyProvider();

  async function setUp() {
    const x = harness(h, tp.provider);
    const vault = x.vault();
    await createGithubLike(vault, tp.provider);
    await createIssuerConnections(vault, tp.provider);
    /** A link started and authorized at the provider; the callback query is not yet handed to the vault. */
    const started = async (connectionId: string) => {
      const { authorizationUrl, pending } = await vault.beginLink('usr_alice', connectionId, tp.provider.redirectUri);
      const params = await authorize(authorizationUrl, 'alice');
      return { pending, params, base: { state: params.get('state'), code: params.get('code') } };
    };
    return { x, vault, started };
  }

  it('the provider’s own iss is accepted; a wrong, trailing-slash, repeated or missing one is refused before the code is spent', async () => {
    const { x, vault, started } = await setUp();
    const { pending, params, base } = await started('tp-iss');
    expect(params.get('iss')).toBe(tp.provider.issuer);
    const refusals: [Parameters<TokenVault['completeLink']>[2], string][] = [
      [{ ...base, iss: 'https://attacker.example' }, 'callback_iss_mismatch'],
      [{ ...base, iss: `${tp.provider.issuer}/` }, 'callback_iss_mismatch'],
      [{ ...base, iss: [tp.provider.issuer, 'https://attacker.example'] }, 'callback_iss_mismatch'],
      [{ ...base, iss: '' }, 'callback_iss_mismatch'],
      [base, 'callback_iss_missing'],
      [{ ...base, iss: [] }, 'callback_iss_missing'],
      // RFC 9207 §2.4: error responses are checked too; the provider's error is not reported from another issuer.
      [{ state: base.state, error: 'access_denied', iss: 'https://attacker.example' }, 'callback_iss_mismatch'],
    ];
    for (const [callback, reason] of refusals) {
      const err = await vault.completeLink('usr_alice', pending, callback).catch((e: unknown) => e);
      expect(err, JSON.stringify(callback)).toBeInstanceOf(LinkIssuerError);
      expect((err as LinkIssuerError).reason).toBe(reason);
    }
    expect(x.calls).toEqual([]);
    expect(await vault.listForUser('usr_alice')).toEqual([]);
    // Nothing was spent: the same code links with the provider's real iss.
    expect(await vault.completeLink('usr_alice', pending, { ...base, iss: params.get('iss') })).toMatchObject({ connectionId: 'tp-iss', status: 'ok' });
    expect(x.calls).toEqual(['authorization_code']);
  });

  it('an issuer saved without authorization_response_iss_parameter_supported: iss optional, but compared when present', async () => {
    const { x, vault, started } = await setUp();
    const { pending, base } = await started('tp-iss-optional');
    const err = await vault.completeLink('usr_alice', pending, { ...base, iss: 'https://attacker.example' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'callback_iss_mismatch' });
    expect(x.calls).toEqual([]);
    expect(await vault.completeLink('usr_alice', pending, base)).toMatchObject({ connectionId: 'tp-iss-optional', status: 'ok' });
  });

  it('no issuer saved: as before, iss is neither required nor compared', async () => {
    const { vault, started } = await setUp();
    const { pending, base } = await started('tp');
    expect(await vault.completeLink('usr_alice', pending, { ...base, iss: 'https://attacker.example' })).toMatchObject({ connectionId: 'tp', status: 'ok' });
  });

  it('the settings are checked when saved and bound to the sealed credential; older connections keep their digest', async () => {
    const { vault, started } = await setUp();
    const bad = [{ authorizationResponseIssParameterSupported: true }, { issuer: 'not a url' }, { issuer: `${tp.provider.issuer}?tenant=a` }, { issuer: `${tp.provider.issuer}#x` }];
    for (const rfc9207 of bad) {
      await expect(vault.createConnection({ id: 'bad', kind: 'oauth', displayName: 'Bad', provider: githubLikeMetadata(tp.provider, rfc9207), clientSecret: CLIENT_SECRET })).rejects.toBeInstanceOf(VaultInvalidConnectionError);
      await expect(vault.updateConnection('tp', { provider: githubLikeMetadata(tp.provider, rfc9207) })).rejects.toBeInstanceOf(VaultInvalidConnectionError);
    }
    // The digest of metadata without the RFC 9207 settings is what it was before they existed.
    const plain = githubLikeMetadata(tp.provider);
    const before = createHash('sha256').update(JSON.stringify([plain.authorizationEndpoint, plain.tokenEndpoint, plain.revocationEndpoint, plain.clientId, plain.tokenEndpointAuthMethod, plain.scopes])).digest('base64url');
    expect(providerDigest(plain)).toBe(before);
    // A database writer dropping the issuer (to skip the check) breaks the connection instead.
    const { pending, base } = await started('tp-iss');
    const stored = (await h.storage.vault.connections.get('tp-iss'))!;
    const { issuer: _issuer, authorizationResponseIssParameterSupported: _required, ...stripped } = stored.provider!;
    expect(await h.storage.vault.connections.update({ ...stored, provider: stripped })).toBe(true);
    await expect(vault.completeLink('usr_alice', pending, { ...base, iss: 'https://attacker.example' })).rejects.toBeInstanceOf(VaultConnectionIntegrityError);
  });
});

describe.each(BACKENDS)('RFC 9207 iss on the link callback, account pages (%s)', (backend) => {
  let ts: TestServer;
  let provider: ThirdPartyProvider;
  let alice: UserRecord;

  beforeAll(async () => {
    const port = await freePort();
    ts = await startTestServer({ federation: { devAllowedHosts: [`127.0.0.1:${port}`] } }, backend);
    provider = await startThirdPartyProvider({ extraRedirectUris: [`${ts.issuer}/account/vault/callback/tp-iss`], port });
    await createIssuerConnections(ts.server.ctx.vault, provider);
    alice = await createUser(ts.server.ctx, 'alice@example.com', 'Alice');
  });
  afterAll(async () => {
    await provider?.close();
    await ts?.close();
  });

  async function startLink(browser: TestBrowser): Promise<URLSearchParams> {
    const csrf = inputValue(await (await browser.get(`${ts.issuer}/account/vault`)).text(), 'csrf') ?? '';
    const res = await browser.post(`${ts.issuer}/account/vault/link`, { csrf, connection: 'tp-iss' });
    expect(res.status).toBe(303);
    return authorize(res.headers.get('location')!, 'alice-at-tp');
  }
  const callback = (browser: TestBrowser, params: URLSearchParams) => browser.get(`${ts.issuer}/account/vault/callback/tp-iss?${params.toString()}`);
  const refusals = async (reason: string) => (await ts.server.ctx.storage.audit.list({ event: 'vault_linked', limit: 1000 })).filter((e) => e.reason === reason);

  it('a wrong or missing iss shows the link error, stores nothing and is audited; the provider’s own links', async () => {
    const browser = await signedInBrowser(ts, alice);
    const forged = await startLink(browser);
    forged.set('iss', 'https://attacker.example');
    expect((await callback(browser, forged)).headers.get('location')).toBe(`${ts.issuer}/account/vault?error=link`);
    const missing = await startLink(browser);
    missing.delete('iss');
    expect((await callback(browser, missing)).headers.get('location')).toBe(`${ts.issuer}/account/vault?error=link`);
    const repeated = await startLink(browser);
    repeated.append('iss', 'https://attacker.example');
    expect((await callback(browser, repeated)).headers.get('location')).toBe(`${ts.issuer}/account/vault?error=link`);
    expect(await ts.server.ctx.storage.vault.entries.getFor(alice.id, 'tp-iss')).toBeNull();
    expect(await refusals('callback_iss_mismatch')).toEqual([
      expect.objectContaining({ userId: alice.id, result: 'failure', resource: 'urn:mandate:vault:tp-iss', data: { connection: 'tp-iss' } }),
      expect.objectContaining({ userId: alice.id, result: 'failure', resource: 'urn:mandate:vault:tp-iss', data: { connection: 'tp-iss' } }),
    ]);
    expect(await refusals('callback_iss_missing')).toEqual([expect.objectContaining({ userId: alice.id, result: 'failure', resource: 'urn:mandate:vault:tp-iss' })]);

    const done = await callback(browser, await startLink(browser));
    expect(done.headers.get('location')).toBe(`${ts.issuer}/account/vault?linked=tp-iss`);
    expect(await ts.server.ctx.storage.vault.entries.getFor(alice.id, 'tp-iss')).toMatchObject({ status: 'ok' });
  });
});
