/**
 * The pieces of SSO federation on their own: configuration rules, home-realm lookup, which email
 * counts as verified, claim mapping, the SSRF-safe fetch and discovery's issuer check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { UpstreamProvidersSchema, UpstreamProviderSchema } from '../../src/federation/upstream-schema.ts';
import { providerForEmail } from '../../src/federation/upstream/home-realm.ts';
import { assertedEmail } from '../../src/federation/upstream/email.ts';
import { mappedAccess } from '../../src/federation/upstream/mapping.ts';
import { resolveSecret, UpstreamClients } from '../../src/federation/upstream/clients.ts';
import { upstreamFetch } from '../../src/federation/upstream/fetch.ts';
import { UpstreamLoginError } from '../../src/federation/upstream/errors.ts';
import type { UpstreamClaims } from '../../src/federation/upstream/token.ts';
import type { ServerContext } from '../../src/context.ts';

const provider = (extra: Record<string, unknown> = {}) =>
  UpstreamProviderSchema.parse({ id: 'corp', displayName: 'Corp', issuer: 'https://idp.corp.example', clientId: 'c', ...extra });
const claims = (extra: Record<string, unknown>): UpstreamClaims => ({ sub: 's', iss: 'https://idp.corp.example', ...extra });

describe('configuration', () => {
  it('defaults: openid email profile, no JIT, no linking, userinfo read', () => {
    const p = provider();
    expect(p).toMatchObject({ scopes: ['openid', 'email', 'profile'], jitProvisioning: false, linkByVerifiedEmail: false, userinfo: true, emailDomains: [] });
  });

  it('refuses scopes without openid, a bad id, and a domain claimed by two providers', () => {
    expect(() => provider({ scopes: ['email'] })).toThrow();
    expect(() => provider({ id: 'Has Spaces' })).toThrow();
    expect(() =>
      UpstreamProvidersSchema.parse([
        { id: 'a', displayName: 'A', issuer: 'https://a.example', clientId: 'c', emailDomains: ['x.example'] },
        { id: 'b', displayName: 'B', issuer: 'https://b.example', clientId: 'c', emailDomains: ['X.example'] },
      ]),
    ).toThrow(/x\.example/);
    expect(() =>
      UpstreamProvidersSchema.parse([
        { id: 'a', displayName: 'A', issuer: 'https://a.example', clientId: 'c' },
        { id: 'a', displayName: 'A2', issuer: 'https://b.example', clientId: 'c' },
      ]),
    ).toThrow(/duplicate/);
  });

  it('refuses linking or provisioning without emailDomains: the provider would be believed for any address', () => {
    expect(() => provider({ linkByVerifiedEmail: true })).toThrow(/linkByVerifiedEmail needs emailDomains/);
    expect(() => provider({ jitProvisioning: true, emailDomains: [] })).toThrow(/jitProvisioning needs emailDomains/);
    expect(() => UpstreamProvidersSchema.parse([{ id: 'a', displayName: 'A', issuer: 'https://a.example', clientId: 'c', linkByVerifiedEmail: true }])).toThrow(/emailDomains/);
    expect(provider({ linkByVerifiedEmail: true, jitProvisioning: true, emailDomains: ['corp.example'] })).toMatchObject({ linkByVerifiedEmail: true, jitProvisioning: true });
    // Neither: the provider only signs in identities already linked, no domain list needed.
    expect(provider()).toMatchObject({ emailDomains: [] });
  });

  it('a client secret by environment reference is read when used', () => {
    process.env.MANDATE_UNIT_SECRET = 's3cret';
    expect(resolveSecret({ env: 'MANDATE_UNIT_SECRET' })).toBe('s3cret');
    expect(resolveSecret({ env: 'MANDATE_UNIT_SECRET_UNSET' })).toBeNull();
    expect(resolveSecret('inline')).toBe('inline');
    expect(resolveSecret(undefined)).toBeNull();
  });
});

describe('home-realm discovery', () => {
  const providers = [provider({ emailDomains: ['corp.example'] }), provider({ id: 'other', emailDomains: ['other.example'] })];
  it('matches the domain case-insensitively, and nothing else', () => {
    expect(providerForEmail(providers, ' Ann@CORP.example ')?.id).toBe('corp');
    expect(providerForEmail(providers, 'ann@other.example')?.id).toBe('other');
    expect(providerForEmail(providers, 'ann@sub.corp.example')).toBeNull();
    expect(providerForEmail(providers, 'corp.example')).toBeNull();
    expect(providerForEmail(providers, '')).toBeNull();
  });
});

describe('OIDC Core §5.7: which email an upstream login vouches for', () => {
  const p = provider({ emailDomains: ['corp.example'] });
  it('only email_verified === true, and only inside the provider’s domains', () => {
    expect(assertedEmail(p, claims({ email: 'a@corp.example', email_verified: true }))).toEqual({ kind: 'verified', email: 'a@corp.example' });
    expect(assertedEmail(p, claims({ email: 'a@corp.example', email_verified: 'true' })).kind).toBe('unverified');
    expect(assertedEmail(p, claims({ email: 'a@corp.example' })).kind).toBe('unverified');
    expect(assertedEmail(p, claims({ email: 'a@evil.example', email_verified: true })).kind).toBe('foreign_domain');
    expect(assertedEmail(p, claims({ email: 'not-an-email', email_verified: true })).kind).toBe('none');
    // Surrounding whitespace is trimmed before the domain is read; an address with nothing around the @ once trimmed is none.
    expect(assertedEmail(p, claims({ email: '  a@corp.example ', email_verified: true }))).toEqual({ kind: 'verified', email: 'a@corp.example' });
    expect(assertedEmail(p, claims({ email: 'a@ ', email_verified: true })).kind).toBe('none');
    // No domains configured: no domain believed (linking and provisioning need domains anyway).
    expect(assertedEmail(provider(), claims({ email: 'a@any.example', email_verified: true })).kind).toBe('foreign_domain');
  });
});

describe('claim mapping', () => {
  const p = provider({
    roleMappings: [{ claim: 'groups', value: 'admins', role: 'admin' }],
    groupMappings: [
      { claim: 'groups', value: 'eng', group: 'Engineering' },
      { claim: 'dept', value: 'eng', group: 'Engineering' },
      { claim: 'contractor', value: true, group: 'Contractors' },
    ],
  });
  it('matches strings, array members and booleans; deduplicates groups', () => {
    expect(mappedAccess(p, claims({ groups: ['admins', 'eng'], dept: 'eng', contractor: true }))).toEqual({ admin: true, groups: ['Engineering', 'Contractors'] });
    expect(mappedAccess(p, claims({ groups: 'admins', contractor: 'true' }))).toEqual({ admin: true, groups: [] });
    expect(mappedAccess(p, claims({}))).toEqual({ admin: false, groups: [] });
  });
});

describe('AS-6: the fetch used towards providers', () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/' });
        res.end();
        return;
      }
      if (req.url === '/.well-known/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ issuer: 'https://someone-else.example', authorization_endpoint: `http://127.0.0.1:${port}/auth`, token_endpoint: `http://127.0.0.1:${port}/token` }));
        return;
      }
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, body, type: req.headers['content-type'] }));
      });
    });
    port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const fetchWith = (devAllowedHosts: string[]) => upstreamFetch({ devAllowedHosts, timeoutMs: 5000, maxBytes: 1024 });
  const init = { method: 'GET', headers: {}, body: undefined, redirect: 'manual' as const };

  it('refuses plain http and loopback addresses outside the development allowance', async () => {
    await expect(fetchWith([])(`http://127.0.0.1:${port}/x`, init)).rejects.toMatchObject({ code: 'ERR_URL_SCHEME' });
    await expect(fetchWith([])(`https://127.0.0.1:${port}/x`, init)).rejects.toMatchObject({ code: 'ERR_ADDRESS_REFUSED' });
  });

  it('sends a form POST (the token endpoint) and does not follow redirects', async () => {
    const f = fetchWith([`127.0.0.1:${port}`]);
    const res = await f(`http://127.0.0.1:${port}/token`, { ...init, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ a: 'b' }) });
    expect(await res.json()).toEqual({ method: 'POST', body: 'a=b', type: 'application/x-www-form-urlencoded' });
    await expect(f(`http://127.0.0.1:${port}/redirect`, init)).rejects.toMatchObject({ code: 'ERR_REDIRECT' });
  });

  it('OIDC Discovery §4.3: metadata naming another issuer is refused', async () => {
    const p = provider({ issuer: `http://127.0.0.1:${port}` });
    const warnings: unknown[] = [];
    const ctx = {
      config: { federation: { devAllowedHosts: [`127.0.0.1:${port}`], upstreamProviders: [p] } },
      now: () => Math.floor(Date.now() / 1000),
      logger: { warn: (o: unknown) => warnings.push(o), info: () => undefined },
    } as unknown as ServerContext;
    const err = await new UpstreamClients(ctx).configuration(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamLoginError);
    expect((err as UpstreamLoginError).reason).toBe('provider_unavailable');
    expect(JSON.stringify(warnings)).toContain('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED');
  });
});
