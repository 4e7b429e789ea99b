/**
 * The product contract for configuration: development works with no settings at all (a secret
 * key is generated into the data directory), production refuses to start unsafely.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../../src/config/load.ts';

const dataDir = () => mkdtempSync(join(tmpdir(), 'mandate-config-'));
const key = () => randomBytes(32).toString('base64url');

describe('development defaults', () => {
  it('uses port 4400, an issuer on localhost and SQLite in the data directory', () => {
    const dir = dataDir();
    const config = loadConfig({ MANDATE_DATA_DIR: dir });
    expect(config).toMatchObject({ mode: 'development', port: 4400, issuer: 'http://localhost:4400', databaseUrl: join(dir, 'mandate.sqlite') });
  });

  it('declares the users\' own scopes: mandate:agents (agent API) and mandate:account (self-service API)', () => {
    expect(loadConfig({ MANDATE_DATA_DIR: dataDir() }).scopesSupported).toEqual(expect.arrayContaining(['mandate:agents', 'mandate:account']));
  });

  it('generates the secret key once into the data directory, readable by its owner only', () => {
    const dir = dataDir();
    const first = loadConfig({ MANDATE_DATA_DIR: dir }).secretKey;
    expect(Buffer.from(first, 'base64url')).toHaveLength(32);
    expect(loadConfig({ MANDATE_DATA_DIR: dir }).secretKey).toBe(first);
    expect(readFileSync(join(dir, 'secret.key'), 'utf8').trim()).toBe(first);
    expect(statSync(join(dir, 'secret.key')).mode & 0o077).toBe(0);
  });

  it('honours MANDATE_PORT, MANDATE_ISSUER and MANDATE_DATABASE_URL', () => {
    const config = loadConfig({ MANDATE_DATA_DIR: dataDir(), MANDATE_PORT: '5001', MANDATE_ISSUER: 'https://auth.example.com/', MANDATE_DATABASE_URL: 'postgres://db/x' });
    expect(config).toMatchObject({ port: 5001, issuer: 'https://auth.example.com', databaseUrl: 'postgres://db/x' });
  });
});

describe('production refuses to start unsafely', () => {
  const prod = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'production', MANDATE_DATA_DIR: dataDir(), MANDATE_ISSUER: 'https://auth.example.com', ...env });

  it('without MANDATE_SECRET_KEY', () => {
    expect(() => prod({})).toThrow(ConfigError);
    expect(() => prod({})).toThrow(/MANDATE_SECRET_KEY/);
  });

  it('with a secret key shorter than 32 bytes', () => {
    expect(() => prod({ MANDATE_SECRET_KEY: randomBytes(16).toString('base64url') })).toThrow(ConfigError);
    // Long enough as text, but most characters are not base64url: 15 bytes of key material.
    expect(() => prod({ MANDATE_SECRET_KEY: 'x'.repeat(20) + '!'.repeat(30) })).toThrow(/at least 32 bytes/);
  });

  it('with an http issuer (AS-4)', () => {
    expect(() => prod({ MANDATE_SECRET_KEY: key(), MANDATE_ISSUER: 'http://auth.example.com' })).toThrow(/https/);
  });

  it('with the development allowance for Client ID Metadata Documents', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', MANDATE_SECRET_KEY: key(), MANDATE_ISSUER: 'https://a.example', MANDATE_DATA_DIR: dataDir() }, { cimd: { devAllowedHosts: ['127.0.0.1:9'] } })).toThrow(/development allowance/);
  });

  it('keeps dynamic registration off and no demo scopes', () => {
    const config = prod({ MANDATE_SECRET_KEY: key() });
    expect(config.mode).toBe('production');
    expect(config.dcr.policy).toBe('off');
    expect(config.scopesSupported).not.toContain('mandate:admin');
  });

  it('main refuses development seeding in production (exit 2, nothing started)', () => {
    const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, NODE_ENV: 'production', MANDATE_DEV_SEED: '1', MANDATE_SECRET_KEY: key(), MANDATE_ISSUER: 'https://a.example', MANDATE_DATA_DIR: dataDir(), MANDATE_PORT: '0' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/seeding/);
  });
});

describe('selfRegisteredClients.clientCredentialsScopes', () => {
  it('refuses reserved mandate:* scopes at load (ConfigError): anonymous clients never reach Mandate\'s own APIs', () => {
    for (const scope of ['mandate:admin', 'mandate:agents', 'mandate:account']) {
      const load = () => loadConfig({ MANDATE_DATA_DIR: dataDir() }, { selfRegisteredClients: { clientCredentialsScopes: ['mcp:read', scope] } });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(/must not list reserved mandate:\* scopes/);
    }
  });

  it('accepts other scopes', () => {
    const config = loadConfig({ MANDATE_DATA_DIR: dataDir() }, { selfRegisteredClients: { clientCredentialsScopes: ['mcp:read', 'openid'] } });
    expect(config.selfRegisteredClients.clientCredentialsScopes).toEqual(['mcp:read', 'openid']);
  });
});
