import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboundFetchError, safeFetch, type SafeFetchOptions } from '../../src/clients/ssrf-fetch.ts';
import { startDocumentServer, type DocumentServer } from './support/document-server.ts';

let docs: DocumentServer;
let options: SafeFetchOptions;

beforeAll(async () => {
  docs = await startDocumentServer();
  options = { timeoutMs: 1000, maxBytes: 1024, devAllowedHosts: [docs.hostPort] };
  docs.json('/ok.json', { hello: 'world' });
  docs.route('/redirect', (_req, res) => res.writeHead(302, { location: `${docs.origin}/ok.json` }).end());
  docs.route('/big-declared', (_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' }).end('x'.repeat(5000)));
  docs.route('/big-chunked', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    for (let i = 0; i < 10; i++) res.write('y'.repeat(500));
    res.end();
  });
  docs.route('/slow-headers', () => undefined); // never answers
  docs.route('/slow-body', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"a":'); // and never finishes
  });
});

afterAll(() => docs.close());

async function refusal(url: string, opts: SafeFetchOptions = options): Promise<OutboundFetchError> {
  const err = await safeFetch(url, opts).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OutboundFetchError);
  return err as OutboundFetchError;
}

describe('CIMD draft §6.5 SSRF-protected fetch (AS-6)', () => {
  it('fetches from a host:port named in the development allowance', async () => {
    const res = await safeFetch(`${docs.origin}/ok.json`, options);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({ hello: 'world' });
  });

  it('resolves a dev-allowed host name and connects to the address it vetted', async () => {
    const port = docs.hostPort.split(':')[1];
    const res = await safeFetch(`http://localhost:${port}/ok.json`, { ...options, devAllowedHosts: [`localhost:${port}`] });
    expect(res.status).toBe(200);
  });

  it('refuses plain http without the development allowance', async () => {
    expect((await refusal(`${docs.origin}/ok.json`, { ...options, devAllowedHosts: [] })).code).toBe('ERR_URL_SCHEME');
  });

  it('refuses a loopback host over https without the allowance, before connecting', async () => {
    expect((await refusal(`https://${docs.hostPort}/ok.json`, { ...options, devAllowedHosts: [] })).code).toBe('ERR_ADDRESS_REFUSED');
  });

  it('refuses a host name that resolves to loopback (localhost)', async () => {
    const err = await refusal('https://localhost/client.json', { ...options, devAllowedHosts: [] });
    expect(err.code).toBe('ERR_ADDRESS_REFUSED');
  });

  it.each([
    'https://169.254.169.254/latest/meta-data',
    'https://10.0.0.1/client.json',
    'https://192.168.0.10/client.json',
    'https://100.64.0.1/client.json',
    'https://[::1]/client.json',
    'https://[::ffff:127.0.0.1]/client.json',
    'https://[::ffff:a9fe:a9fe]/client.json',
    'https://[fe80::1]/client.json',
    'https://0.0.0.0/client.json',
  ])('refuses the non-public address literal %s', async (url) => {
    expect((await refusal(url, { ...options, devAllowedHosts: [] })).code).toBe('ERR_ADDRESS_REFUSED');
  });

  it('refuses URLs with credentials', async () => {
    expect((await refusal(`http://user:pw@${docs.hostPort}/ok.json`)).code).toBe('ERR_URL_INVALID');
  });

  it('does not follow redirects', async () => {
    expect((await refusal(`${docs.origin}/redirect`)).code).toBe('ERR_REDIRECT');
    expect(docs.hits('/ok.json')).toBe(2); // only the direct fetches of the first tests
  });

  it('refuses a body whose declared length exceeds the limit', async () => {
    expect((await refusal(`${docs.origin}/big-declared`)).code).toBe('ERR_TOO_LARGE');
  });

  it('stops reading a chunked body beyond the limit', async () => {
    expect((await refusal(`${docs.origin}/big-chunked`)).code).toBe('ERR_TOO_LARGE');
  });

  it('times out a server that never answers', async () => {
    expect((await refusal(`${docs.origin}/slow-headers`, { ...options, timeoutMs: 300 })).code).toBe('ERR_TIMEOUT');
  });

  it('times out a body that never completes', async () => {
    expect((await refusal(`${docs.origin}/slow-body`, { ...options, timeoutMs: 300 })).code).toBe('ERR_TIMEOUT');
  });

  it('reports unreachable hosts as network errors', async () => {
    const closed = await startDocumentServer();
    const origin = closed.origin;
    const hostPort = closed.hostPort;
    await closed.close();
    expect((await refusal(`${origin}/x.json`, { ...options, devAllowedHosts: [hostPort] })).code).toBe('ERR_NETWORK');
  });

  it('reports unresolvable host names', async () => {
    expect((await refusal('https://no-such-host.invalid/client.json', { ...options, devAllowedHosts: [] })).code).toBe('ERR_DNS');
  });
});
