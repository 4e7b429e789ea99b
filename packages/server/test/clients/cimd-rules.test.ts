import { describe, expect, it } from 'vitest';
import { InvalidClientError } from '@mandate/protocol';
import { checkClientIdUrl, isCimdClientId } from '../../src/clients/cimd/client-id-url.ts';
import { compileUrlPattern, isAllowedByPatterns } from '../../src/clients/cimd/allowlist.ts';
import { CACHE_CEILING_SECONDS, CACHE_DEFAULT_SECONDS, CACHE_FLOOR_SECONDS, cacheDecision, revalidationDecision } from '../../src/clients/cimd/cache-policy.ts';

const policy = { enabled: true, devAllowedHosts: ['127.0.0.1:4000'] };

describe('CIMD draft §3 client identifier URL', () => {
  it('recognises https URLs, and http only for development-allowed hosts', () => {
    expect(isCimdClientId('https://app.example.com/client.json', policy)).toBe(true);
    expect(isCimdClientId('http://127.0.0.1:4000/client.json', policy)).toBe(true);
    expect(isCimdClientId('http://127.0.0.1:4001/client.json', policy)).toBe(false);
    expect(isCimdClientId('demo-mcp-host', policy)).toBe(false);
    expect(isCimdClientId('https://app.example.com/client.json', { ...policy, enabled: false })).toBe(false);
  });

  it('accepts a canonical https URL with a path (and a query)', () => {
    expect(checkClientIdUrl('https://app.example.com/client.json', policy).hostname).toBe('app.example.com');
    expect(checkClientIdUrl('https://app.example.com/c?v=1', policy).search).toBe('?v=1');
  });

  it.each([
    ['https://app.example.com', 'path component'],
    ['https://app.example.com/', 'path component'],
    ['https://app.example.com/client.json#frag', 'fragment'],
    ['https://app.example.com/client.json#', 'fragment'],
    ['https://user:pw@app.example.com/client.json', 'username or password'],
    ['https://user@app.example.com/client.json', 'username or password'],
    ['https://app.example.com/a/../client.json', '"." or ".." path segments'],
    ['https://app.example.com/./client.json', '"." or ".." path segments'],
    ['https://app.example.com/a/%2e%2e/client.json', '"." or ".." path segments'],
    ['https://app.example.com/a/.%2E/client.json', '"." or ".." path segments'],
    ['https://tools.example.com/clients/%2e%2e/x.json', '"." or ".." path segments'],
    ['https://tools.example.com/clients/..%2Fuploads%2Fevil.json', 'encoded slash or backslash'],
    ['https://tools.example.com/clients/%2E%2E%2Fx.json', 'encoded slash or backslash'],
    ['https://tools.example.com/clients/a%2fb.json', 'encoded slash or backslash'],
    ['https://tools.example.com/clients/..%5Cuploads%5cevil.json', 'encoded slash or backslash'],
    ['http://app.example.com/client.json', 'https scheme'],
    ['ftp://app.example.com/client.json', 'https scheme'],
    ['https://APP.example.com/client.json', 'canonical form'],
    ['https://app.example.com:443/client.json', 'canonical form'],
    ['https://app.example.com/a b', 'canonical form'],
    ['https://', 'cannot be parsed'],
    [`https://app.example.com/${'a'.repeat(3000)}`, 'longer than'],
  ])('refuses %s (%s)', (url, rule) => {
    let thrown: unknown;
    try {
      checkClientIdUrl(url, policy);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidClientError);
    expect((thrown as InvalidClientError).description).toContain(rule);
  });
});

describe('CL-3 allowlist of client_id URL patterns', () => {
  const patterns = ['https://*.example.com/clients/*', 'https://tools.example.org/client.json'];

  it('allows everything when the list is empty', () => {
    expect(isAllowedByPatterns('https://anything.test/c.json', [])).toBe(true);
  });

  it.each([
    ['https://app.example.com/clients/cli.json', true],
    ['https://tools.example.org/client.json', true],
    ['https://example.com/clients/cli.json', false],
    ['https://a.b.example.com/clients/cli.json', false],
    ['https://app.example.com/clients/x/cli.json', false],
    ['https://app.example.com/clients/', false],
    ['https://app.example.com/clients/cli.json?x=1', false],
    ['https://tools.example.org/client.json2', false],
    ['https://app.example.com.evil.test/clients/cli.json', false],
    ['https://evil.test/https://app.example.com/clients/cli.json', false],
    ['http://app.example.com/clients/cli.json', false],
  ])('%s → %s', (url, allowed) => {
    expect(isAllowedByPatterns(url, patterns)).toBe(allowed);
  });

  it('matches wildcards inside a label or a segment, and treats regex characters literally', () => {
    expect(isAllowedByPatterns('https://mcp-prod.example.com/c.json', ['https://mcp-*.example.com/c.json'])).toBe(true);
    expect(isAllowedByPatterns('https://app.example.com/v2-client.json', ['https://app.example.com/v*-client.json'])).toBe(true);
    expect(isAllowedByPatterns('https://appXexample.com/c.json', ['https://app.example.com/c.json'])).toBe(false);
    expect(isAllowedByPatterns('https://app.example.com:8443/c.json', ['https://app.example.com:*/c.json'])).toBe(true);
  });

  it.each([
    'https://tools.example.com/clients/..%2Fuploads%2Fevil.json',
    'https://tools.example.com/clients/%2E%2E%2Fx.json',
    'https://tools.example.com/clients/%2e%2e/x.json',
    'https://tools.example.com/clients/%2e%2e',
  ])('a * never matches percent-encoded characters: %s', (url) => {
    expect(isAllowedByPatterns(url, ['https://tools.example.com/clients/*'])).toBe(false);
  });

  it('matches percent-encoded characters written literally in the pattern, and normal URLs still', () => {
    expect(isAllowedByPatterns('https://tools.example.com/clients/cli.json', ['https://tools.example.com/clients/*'])).toBe(true);
    expect(isAllowedByPatterns('https://tools.example.com/my%20tool/cli.json', ['https://tools.example.com/my%20tool/*'])).toBe(true);
    expect(isAllowedByPatterns('https://tools.example.com/clients/my%20cli.json', ['https://tools.example.com/clients/*'])).toBe(false);
  });

  it('ignores patterns that are not URLs', () => {
    expect(compileUrlPattern('example.com/*')).toBeNull();
    expect(isAllowedByPatterns('https://example.com/c.json', ['example.com/*'])).toBe(false);
  });
});

describe('RFC 9111 caching of metadata documents (AS-6)', () => {
  const now = 1_700_000_000;

  it('honours max-age within the floor and the ceiling', () => {
    expect(cacheDecision({ 'cache-control': 'max-age=600' }, now)).toEqual({ store: true, lifetime: 600 });
    expect(cacheDecision({ 'cache-control': 'public, max-age=5' }, now)).toEqual({ store: true, lifetime: CACHE_FLOOR_SECONDS });
    expect(cacheDecision({ 'cache-control': 'max-age=99999999' }, now)).toEqual({ store: true, lifetime: CACHE_CEILING_SECONDS });
  });

  it('prefers s-maxage (a shared cache) over max-age', () => {
    expect(cacheDecision({ 'cache-control': 'max-age=100, s-maxage=300' }, now).lifetime).toBe(300);
  });

  it('never stores no-store; stores no-cache and max-age=0 for revalidation', () => {
    expect(cacheDecision({ 'cache-control': 'no-store, max-age=600' }, now)).toEqual({ store: false, lifetime: 0 });
    expect(cacheDecision({ 'cache-control': 'no-cache' }, now)).toEqual({ store: true, lifetime: 0 });
    expect(cacheDecision({ 'cache-control': 'max-age=0' }, now)).toEqual({ store: true, lifetime: 0 });
  });

  it('uses Expires relative to Date when there is no max-age', () => {
    const date = new Date(now * 1000).toUTCString();
    const expires = new Date((now + 7200) * 1000).toUTCString();
    expect(cacheDecision({ expires, date }, now).lifetime).toBe(7200);
    expect(cacheDecision({ expires: '0' }, now)).toEqual({ store: true, lifetime: 0 });
  });

  it('never stores a private response: we are a shared cache (RFC 9111 §5.2.2.7)', () => {
    expect(cacheDecision({ 'cache-control': 'private, max-age=600' }, now)).toEqual({ store: false, lifetime: 0 });
    expect(cacheDecision({ 'cache-control': 'Private' }, now)).toEqual({ store: false, lifetime: 0 });
    expect(cacheDecision({ 'cache-control': 'private="set-cookie", max-age=600' }, now)).toEqual({ store: false, lifetime: 0 });
  });

  it('subtracts the Age the response already had (RFC 9111 §4.2.3), then applies the floor', () => {
    expect(cacheDecision({ 'cache-control': 'max-age=600', age: '100' }, now).lifetime).toBe(500);
    expect(cacheDecision({ 'cache-control': 'max-age=600', age: '590' }, now).lifetime).toBe(CACHE_FLOOR_SECONDS);
    expect(cacheDecision({ 'cache-control': 'max-age=600', age: '600' }, now).lifetime).toBe(0);
    expect(cacheDecision({ 'cache-control': 'max-age=600', age: '9000' }, now).lifetime).toBe(0);
    expect(cacheDecision({ 'cache-control': 'max-age=600', age: 'bogus' }, now).lifetime).toBe(600);
    const date = new Date(now * 1000).toUTCString();
    const expires = new Date((now + 7200) * 1000).toUTCString();
    expect(cacheDecision({ expires, date, age: '200' }, now).lifetime).toBe(7000);
  });

  it('keeps the stored freshness when a 304 carries neither Cache-Control nor Expires (RFC 9111 §4.3.4)', () => {
    const noCacheEntry = { fetchedAt: now - 10, expiresAt: now - 10 };
    expect(revalidationDecision({ date: new Date(now * 1000).toUTCString() }, noCacheEntry, now)).toEqual({ store: true, lifetime: 0 });
    expect(revalidationDecision({}, { fetchedAt: now - 700, expiresAt: now - 100 }, now)).toEqual({ store: true, lifetime: 600 });
    expect(revalidationDecision({ 'cache-control': 'max-age=120' }, noCacheEntry, now)).toEqual({ store: true, lifetime: 120 });
    expect(revalidationDecision({ 'cache-control': 'no-store' }, noCacheEntry, now)).toEqual({ store: false, lifetime: 0 });
  });

  it('falls back to a heuristic lifetime', () => {
    expect(cacheDecision({}, now)).toEqual({ store: true, lifetime: CACHE_DEFAULT_SECONDS });
  });
});
