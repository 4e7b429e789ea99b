/**
 * The cookie handling of a browser, reduced to what the authorization server's pages need: keep
 * what `Set-Cookie` sets per origin, send it back, forget cookies set to expire.
 */
export interface StoredCookie {
  name: string;
  value: string;
  attributes: string[];
}

export class CookieJar {
  private readonly byOrigin = new Map<string, Map<string, StoredCookie>>();

  /** The Cookie header for a request to `url`, or undefined when there is nothing to send. */
  header(url: URL): string | undefined {
    const cookies = [...(this.byOrigin.get(url.origin)?.values() ?? [])];
    return cookies.length === 0 ? undefined : cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  }

  store(url: URL, response: Response): void {
    for (const raw of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = raw.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const cookie: StoredCookie = { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
      const jar = this.byOrigin.get(url.origin) ?? new Map<string, StoredCookie>();
      this.byOrigin.set(url.origin, jar);
      const expired = attributes.some((a) => /^max-age=(0|-\d+)$/i.test(a));
      if (expired || cookie.value === '') jar.delete(cookie.name);
      else jar.set(cookie.name, cookie);
    }
  }

  /** One request, redirects not followed: the caller looks at every hop. */
  async fetch(url: URL, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const headers = new Headers({ accept: 'text/html' });
    const cookie = this.header(url);
    if (cookie) headers.set('cookie', cookie);
    let body: string | undefined;
    if (init.form) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.store(url, response);
    return response;
  }
}
