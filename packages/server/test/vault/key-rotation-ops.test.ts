/**
 * Key rotation in a deployment (issue 5, VA-1): the key file comes from the configuration
 * (vault.keyFile, MANDATE_VAULT_KEY_FILE), and the re-wrap runs from the command line
 * (cli/vault-rewrap.ts) or the admin API (POST /admin/v1/vault/rewrap). Afterwards the old key
 * can be removed: everything opens with the new key alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config/load.ts';
import { openStorage } from '../../src/storage/open.ts';
import { LocalKeyEncryptionKeys, vaultKeys } from '../../src/vault/kek.ts';
import { TokenVault } from '../../src/vault/service.ts';
import { main as rewrapCli } from '../../src/cli/vault-rewrap.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { admin, mintToken, startAdminServer } from '../admin/support.ts';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const b64 = (k: { key: Buffer }) => k.key.toString('base64url');
const dir = mkdtempSync(join(tmpdir(), 'mandate-vault-keys-'));

function keyFile(name: string, current: string, keys: { id: string; key: Buffer }[]): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ current, keys: Object.fromEntries(keys.map((k) => [k.id, b64(k)])) }), { mode: 0o600 });
  return path;
}

const provider = { authorizationEndpoint: 'https://tp.example/auth', tokenEndpoint: 'https://tp.example/token', revocationEndpoint: null, clientId: 'm', tokenEndpointAuthMethod: 'client_secret_basic' as const, scopes: ['repo'] };

/** A connection (sealed secret) and a static key, sealed under `keys`. */
async function seed(vault: TokenVault): Promise<void> {
  await vault.createConnection({ id: 'tp', kind: 'oauth', displayName: 'TP', provider, clientSecret: 'tp-secret' });
  await vault.createConnection({ id: 'key', kind: 'static', displayName: 'Key' });
  await vault.storeStaticKey('usr_alice', 'key', 'sk_alice_0123456789');
}

/** Everything opens with k2 alone: the old key can be retired. */
async function opensWithNewKeyOnly(vault: TokenVault): Promise<void> {
  expect(await vault.staticKey('usr_alice', 'key')).toBe('sk_alice_0123456789');
  await expect(vault.beginLink('usr_alice', 'tp', 'https://as.example/cb')).resolves.toBeDefined();
}

describe('vault key rotation operations', () => {
  it('vault.keyFile (MANDATE_VAULT_KEY_FILE) selects the key file; its current key seals', () => {
    const path = keyFile('one.json', 'k1', [k1]);
    const config = loadConfig({ MANDATE_VAULT_KEY_FILE: path, MANDATE_SECRET_KEY: randomBytes(32).toString('base64url'), MANDATE_DATA_DIR: dir });
    expect(config.vault.keyFile).toBe(path);
    const keys = vaultKeys(config);
    expect(keys.currentKeyId).toBe('k1');
    expect(keys.has('secret-v1')).toBe(true); // a move from MANDATE_SECRET_KEY to a key file is one rewrap
  });

  it('the CLI re-wraps every row to the current key; afterwards the old key can go', async () => {
    const url = join(dir, 'cli.sqlite');
    const storage = await openStorage(url);
    await storage.migrate();
    await seed(new TokenVault({ storage, keys: new LocalKeyEncryptionKeys(k1) }));
    await storage.close();
    const env = { MANDATE_DATABASE_URL: url, MANDATE_SECRET_KEY: randomBytes(32).toString('base64url'), MANDATE_DATA_DIR: dir };

    const lines: string[] = [];
    expect(await rewrapCli({ ...env, MANDATE_VAULT_KEY_FILE: keyFile('missing-old.json', 'k2', [k2]) }, (l) => lines.push(l))).toBe(1);
    expect(lines.join('\n')).toMatch(/0 re-wrapped.*2 failed[\s\S]*ERR_VAULT_KEK_UNKNOWN/);

    lines.length = 0;
    expect(await rewrapCli({ ...env, MANDATE_VAULT_KEY_FILE: keyFile('both.json', 'k2', [k2, k1]) }, (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual(['vault rewrap to key "k2": 2 re-wrapped, 0 already current (concurrent writes), 0 failed']);
    expect(lines.join()).not.toContain(b64(k1));
    expect(await rewrapCli({ ...env, MANDATE_VAULT_KEY_FILE: join(dir, 'both.json') }, () => {})).toBe(0); // idempotent

    const after = await openStorage(url);
    try {
      await opensWithNewKeyOnly(new TokenVault({ storage: after, keys: new LocalKeyEncryptionKeys(k2) }));
    } finally {
      await after.close();
    }
    expect(await rewrapCli({ ...env, MANDATE_DATABASE_URL: join(dir, 'none.sqlite') }, () => {})).toBe(1);
  });

  describe('POST /admin/v1/vault/rewrap', () => {
    let s: TestServer;
    let token: string;
    beforeAll(async () => {
      s = await startAdminServer({ vault: { keyFile: keyFile('server.json', 'k2', [k2, k1]) } });
      token = (await mintToken(s)).token;
    });
    afterAll(() => s?.close());

    it('re-wraps rows sealed under the old key with the server’s current key, and is audited', async () => {
      expect(s.server.ctx.vault.currentKeyId).toBe('k2');
      await seed(new TokenVault({ storage: s.server.ctx.storage, keys: new LocalKeyEncryptionKeys(k1) }));
      const res = await admin(s, token, 'POST', '/vault/rewrap');
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ rewrapped: 2, skipped: 0, failed: [], current_kek: 'k2' });
      expect((await admin(s, token, 'POST', '/vault/rewrap')).json).toMatchObject({ rewrapped: 0, failed: [] });
      await opensWithNewKeyOnly(new TokenVault({ storage: s.server.ctx.storage, keys: new LocalKeyEncryptionKeys(k2) }));
      const audited = await s.server.ctx.storage.audit.list({ event: 'admin.rewrapVault' });
      expect(audited[0]?.data).toMatchObject({ rewrapped: 2, failed: 0, current_kek: 'k2' });
    });
  });
});
