import { describe, expect, it } from 'vitest';
import { upstreamFetch } from '../../src/federation/upstream/fetch.ts';

const init = { method: 'GET', headers: {}, body: undefined, redirect: 'manual' as const };

describe('upstreamFetch: one deadline covers name resolution', () => {
  it('a resolution that never answers ends at the deadline with ERR_TIMEOUT', async () => {
    let asked = '';
    const neverAnswers = (host: string) => {
      asked = host;
      return new Promise<never>(() => undefined);
    };
    const fetch = upstreamFetch({ devAllowedHosts: [], timeoutMs: 50, maxBytes: 1024, resolve: neverAnswers });
    const started = performance.now();
    await expect(fetch('https://idp.example/.well-known/openid-configuration', init)).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
    expect(asked).toBe('idp.example');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("the caller's abort signal also ends a pending resolution", async () => {
    const controller = new AbortController();
    const fetch = upstreamFetch({ devAllowedHosts: [], timeoutMs: 60_000, maxBytes: 1024, resolve: () => new Promise<never>(() => undefined) });
    const pending = fetch('https://idp.example/token', { ...init, signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
  });
});
