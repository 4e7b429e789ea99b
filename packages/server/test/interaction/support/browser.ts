/**
 * A minimal browser for tests: real HTTP with fetch, redirects not followed (tests look at every
 * hop), and a cookie jar that keeps what the server sets — including the attributes, so tests can
 * check the cookie flags.
 */
export interface StoredCookie {
  name: string;
  value: string;
  attributes: string[];
}

import { request as httpRequest } from 'node:http';

export class TestBrowser {
  readonly jar = new Map<string, StoredCookie>();

  /** `localAddress` makes the requests come from another loopback address (per-IP rate limits). */
  constructor(private readonly localAddress?: string) {}
  /** Every Set-Cookie header seen, newest last. */
  readonly setCookieHeaders: string[] = [];

  async get(url: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(url, { method: 'GET', headers });
  }

  async post(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }

  async request(url: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = [...this.jar.values()].map((c) => `${c.name}=${c.value}`).join('; ');
    if (cookie) headers.set('cookie', cookie);
    const res = this.localAddress
      ? await requestFrom(this.localAddress, url, init.method ?? 'GET', headers, typeof init.body === 'string' ? init.body : undefined)
      : await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const raw of res.headers.getSetCookie()) this.store(raw);
    return res;
  }

  cookie(name: string): StoredCookie | undefined {
    return this.jar.get(name);
  }

  private store(raw: string): void {
    this.setCookieHeaders.push(raw);
    const [pair = '', ...attributes] = raw.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const expired = attributes.some((a) => /^max-age=0$/i.test(a));
    if (expired || value === '') this.jar.delete(name);
    else this.jar.set(name, { name, value, attributes });
  }
}

/** Reads `name="value"` of the first element matching the id. */
export function inputValue(html: string, name: string): string | undefined {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  return m?.[1];
}

export function formAction(html: string): string {
  const m = /<form method="post" action="([^"]+)"/.exec(html);
  if (!m?.[1]) throw new Error(`no form in page: ${html.slice(0, 300)}`);
  return m[1].replace(/&amp;/g, '&');
}

/** An HTTP request from a chosen local address (fetch cannot pick one without undici). */
function requestFrom(localAddress: string, url: string, method: string, headers: Headers, body: string | undefined): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, localAddress, headers: Object.fromEntries(headers) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const out = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) out.append(name, v);
        }
        const status = res.statusCode ?? 500;
        resolve(new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, headers: out }));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
