import dnsPromises, { Resolver } from 'node:dns/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultResolver, isInvalidName, isLocalhostName, resolveHost } from '../../src/clients/dns-resolve.ts';
import { OutboundFetchError, resolveVettedAddresses, safeFetch } from '../../src/clients/ssrf-fetch.ts';
import { upstreamFetch } from '../../src/federation/upstream/fetch.ts';
import { startDnsServer, type DnsServer } from './support/dns-server.ts';
import { startDocumentServer, type DocumentServer } from './support/document-server.ts';

const PUBLIC_V4 = '1.1.1.1';
const PUBLIC_V6 = '2606:4700:4700::1111';

let dns: DnsServer;
let silent: DnsServer;

beforeAll(async () => {
  dns = await startDnsServer({
    'v6-only.example': [PUBLIC_V6],
    'v4-only.example': [PUBLIC_V4],
    'dual.example': [PUBLIC_V4, PUBLIC_V6],
    'mixed.example': [PUBLIC_V4, 'fd00::1'],
  });
  silent = await startDnsServer({}, { silent: true });
});

afterAll(async () => {
  await dns.close();
  await silent.close();
});

function resolverFor(server: DnsServer, options = { timeout: 2000, tries: 1 }): Resolver {
  const resolver = new Resolver(options);
  resolver.setServers([server.server]);
  return resolver;
}

async function vetted(host: string, resolver: Resolver, devAllowed = false) {
  return resolveVettedAddresses(new URL(`https://${host}/client.json`), devAllowed, (h) => resolveHost(h, resolver));
}

async function refusal(work: Promise<unknown>): Promise<OutboundFetchError> {
  const err = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OutboundFetchError);
  return err as OutboundFetchError;
}

describe('outbound name resolution off the thread pool (c-ares, A and AAAA in parallel)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('resolves through a c-ares Resolver by default, not dns.lookup (getaddrinfo on a pool thread)', async () => {
    expect(defaultResolver()).toBeInstanceOf(Resolver);
    expect(defaultResolver()).toBe(defaultResolver());
    // safeFetch (attacker-chosen hosts): the c-ares channel is queried, dns.lookup never.
    const lookup = vi.spyOn(dnsPromises, 'lookup');
    const resolve4 = vi.spyOn(Resolver.prototype, 'resolve4').mockRejectedValue(Object.assign(new Error('no'), { code: 'ENOTFOUND' }));
    const resolve6 = vi.spyOn(Resolver.prototype, 'resolve6').mockRejectedValue(Object.assign(new Error('no'), { code: 'ENOTFOUND' }));
    const err = await refusal(safeFetch('https://client.example/client.json', { timeoutMs: 2000, maxBytes: 1024, devAllowedHosts: [] }));
    expect(err.code).toBe('ERR_DNS');
    expect(resolve4).toHaveBeenCalledWith('client.example');
    expect(resolve6).toHaveBeenCalledWith('client.example');
    expect(lookup).not.toHaveBeenCalled();
  });

  it('upstreamFetch (operator-configured hosts) resolves through dns.lookup: search domains and /etc/hosts apply', async () => {
    const lookup = vi.spyOn(dnsPromises, 'lookup').mockRejectedValue(Object.assign(new Error('no'), { code: 'ENOTFOUND' }));
    const resolve4 = vi.spyOn(Resolver.prototype, 'resolve4');
    const fetch = upstreamFetch({ devAllowedHosts: [], timeoutMs: 2000, maxBytes: 1024 });
    const init = { method: 'GET', headers: {}, body: undefined, redirect: 'manual' as const };
    await expect(fetch('https://keycloak.auth/realms/x', init)).rejects.toMatchObject({ code: 'ERR_DNS' });
    expect(lookup).toHaveBeenCalledWith('keycloak.auth', expect.objectContaining({ all: true }));
    expect(resolve4).not.toHaveBeenCalled();
  });

  it('upstreamFetch still refuses a non-public address the system resolver answers', async () => {
    vi.spyOn(dnsPromises, 'lookup').mockResolvedValue([
      { address: '1.1.1.1', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ] as never);
    const fetch = upstreamFetch({ devAllowedHosts: [], timeoutMs: 2000, maxBytes: 1024 });
    const init = { method: 'GET', headers: {}, body: undefined, redirect: 'manual' as const };
    await expect(fetch('https://idp.internal/x', init)).rejects.toMatchObject({ code: 'ERR_ADDRESS_REFUSED' });
  });

  it('resolves a host that has only an AAAA record (NODATA for A)', async () => {
    expect(await vetted('v6-only.example', resolverFor(dns))).toEqual([{ address: PUBLIC_V6, family: 6 }]);
    expect(dns.questions).toEqual(expect.arrayContaining(['v6-only.example A', 'v6-only.example AAAA']));
  });

  it('resolves a host that has only an A record', async () => {
    expect(await vetted('v4-only.example', resolverFor(dns))).toEqual([{ address: PUBLIC_V4, family: 4 }]);
  });

  it('offers both families of a dual-stack host, IPv4 first', async () => {
    expect(await vetted('dual.example', resolverFor(dns))).toEqual([
      { address: PUBLIC_V4, family: 4 },
      { address: PUBLIC_V6, family: 6 },
    ]);
  });

  it('refuses a host when an address of either family is not public', async () => {
    const err = await refusal(vetted('mixed.example', resolverFor(dns)));
    expect(err.code).toBe('ERR_ADDRESS_REFUSED');
    expect(err.message).toContain('fd00::1');
  });

  it('maps NXDOMAIN on both families to ERR_DNS', async () => {
    const err = await refusal(vetted('unknown.example', resolverFor(dns)));
    expect(err.code).toBe('ERR_DNS');
    expect(err.message).toBe('The host unknown.example could not be resolved (ENOTFOUND).');
  });

  it('maps a name server that never answers to ERR_DNS once the resolver times out', async () => {
    const started = Date.now();
    const err = await refusal(vetted('slow.example', resolverFor(silent, { timeout: 100, tries: 1 })));
    expect(err.code).toBe('ERR_DNS');
    expect(err.message).toBe('The host slow.example could not be resolved (ETIMEOUT).');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(silent.questions).toEqual(expect.arrayContaining(['slow.example A', 'slow.example AAAA']));
  });

  it('skips DNS for IP literals', async () => {
    const resolver = resolverFor(dns);
    expect(await vetted('[2606:4700:4700::1111]', resolver)).toEqual([{ address: PUBLIC_V6, family: 6 }]);
    expect(await vetted('1.1.1.1', resolver)).toEqual([{ address: PUBLIC_V4, family: 4 }]);
    expect(dns.questions.filter((q) => q.startsWith('1.1.1.1') || q.includes('2606'))).toEqual([]);
  });
});

describe('RFC 6761 §6.4 invalid names fail at once, without a query', () => {
  it.each(['invalid', 'INVALID.', 'no-such-host.invalid'])('%s never resolves', async (name) => {
    expect(isInvalidName(name)).toBe(true);
    await expect(resolveHost(name, resolverFor(silent))).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(silent.questions.some((q) => q.includes('invalid'))).toBe(false);
  });

  it.each(['invalid.example', 'notinvalid'])('%s is not an invalid name', (name) => {
    expect(isInvalidName(name)).toBe(false);
  });
});

describe('RFC 6761 §6.3 localhost names resolve to loopback without a query', () => {
  it.each(['localhost', 'LOCALHOST', 'localhost.', 'foo.localhost', 'a.b.localhost'])('%s is a localhost name', (name) => {
    expect(isLocalhostName(name)).toBe(true);
  });

  it.each(['localhost.example', 'notlocalhost', 'localhostx', 'example.com'])('%s is not', (name) => {
    expect(isLocalhostName(name)).toBe(false);
  });

  it('answers 127.0.0.1 and ::1 without asking the name server', async () => {
    expect(await resolveHost('foo.localhost', resolverFor(silent))).toEqual([
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ]);
    expect(silent.questions.some((q) => q.includes('localhost'))).toBe(false);
  });

  it.each(['localhost', 'foo.localhost'])('refuses %s without the development allowance (loopback)', async (host) => {
    const err = await refusal(vetted(host, resolverFor(silent)));
    expect(err.code).toBe('ERR_ADDRESS_REFUSED');
    expect(err.message).toContain('loopback');
  });

  it.each(['localhost', 'foo.localhost'])('allows %s with the development allowance', async (host) => {
    expect(await vetted(host, resolverFor(silent), true)).toEqual([
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ]);
  });

  describe('through safeFetch', () => {
    let docs: DocumentServer;
    beforeAll(async () => {
      docs = await startDocumentServer();
      docs.json('/ok.json', { ok: true });
    });
    afterAll(() => docs.close());

    it('fetches from foo.localhost:<port> when the allowance names it, and refuses it otherwise', async () => {
      const port = docs.hostPort.split(':')[1];
      const url = `http://foo.localhost:${port}/ok.json`;
      const options = { timeoutMs: 2000, maxBytes: 1024 };
      const res = await safeFetch(url, { ...options, devAllowedHosts: [`foo.localhost:${port}`] });
      expect(JSON.parse(res.body.toString())).toEqual({ ok: true });
      const https = `https://foo.localhost:${port}/ok.json`;
      expect((await refusal(safeFetch(https, { ...options, devAllowedHosts: [] }))).code).toBe('ERR_ADDRESS_REFUSED');
    });
  });
});
