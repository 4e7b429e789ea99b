/**
 * Completes an authorization request the way a person in a browser would, without a browser:
 * follow the redirect from /authorize to the interaction pages, fill in email + password, then the
 * TOTP code, then approve (or deny) on the consent page, until the server sends the browser back
 * to the client's redirect URI. The real pages are used — their forms, CSRF tokens and
 * `__Host-` cookies — so a client under test gets a code the server issued for a real login.
 *
 * It stops at the first response that leaves the authorization server's origin and returns that
 * URL (redirect_uri?code=…&state=…&iss=… or an error response). It never requests it: the caller
 * decides whether the client's loopback listener gets it.
 */
import { CookieJar } from './cookie-jar.ts';
import { elementText, pageSummary, parseForm } from './html-form.ts';
import { nextTotpStep, totpCode } from './totp.ts';

export interface LoginCredentials {
  email: string;
  password: string;
  totpSecret: string;
}

export interface ConsentPageSeen {
  clientName: string | undefined;
  redirectHost: string | undefined;
  clientIdHost: string | undefined;
  html: string;
}

export interface HeadlessAuthorization {
  /** Where the server sent the browser: the client's redirect URI with the response parameters. */
  callback: URL;
  /** The consent page as shown, when one was shown. */
  consent: ConsentPageSeen | null;
  /** Each hop, for diagnostics: method, URL, status. */
  trail: string[];
}

export interface HeadlessOptions {
  decision?: 'approve' | 'deny';
  /** Reuse a browser (its session and interaction cookies) across authorizations. */
  jar?: CookieJar;
}

const MAX_HOPS = 20;

export async function authorizeHeadlessly(
  authorizationUrl: string | URL,
  user: LoginCredentials,
  options: HeadlessOptions = {},
): Promise<HeadlessAuthorization> {
  const jar = options.jar ?? new CookieJar();
  const serverOrigin = new URL(authorizationUrl).origin;
  const trail: string[] = [];
  let consent: ConsentPageSeen | null = null;
  let totpTries = 0;
  let next: { url: URL; form?: Record<string, string> } = { url: new URL(authorizationUrl) };

  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const response = await jar.fetch(next.url, next.form ? { form: next.form } : {});
    trail.push(`${next.form ? 'POST' : 'GET'} ${next.url.pathname} -> ${response.status}`);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      const target = new URL(location, next.url);
      if (target.origin !== serverOrigin) return { callback: target, consent, trail };
      next = { url: target };
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`The authorization server answered ${response.status} at ${next.url.href}: ${pageSummary(html) || html.slice(0, 300)} (trail: ${trail.join(', ')})`);
    const form = parseForm(html, next.url);
    if (!form) throw new Error(`A page without a form at ${next.url.href}: ${pageSummary(html)} (trail: ${trail.join(', ')})`);

    if (next.url.searchParams.get('error') === 'totp_reused' && totpTries < 3) await nextTotpStep();
    else if (next.url.searchParams.has('error')) throw new Error(`Login refused at ${next.url.href}: ${pageSummary(html)}`);

    if (form.fields.includes('password')) {
      next = { url: new URL(form.action), form: { ...form.hidden, email: user.email, password: user.password } };
    } else if (form.fields.includes('totp')) {
      totpTries++;
      next = { url: new URL(form.action), form: { ...form.hidden, totp: await totpCode(user.totpSecret) } };
    } else if (form.decisions.length > 0) {
      consent = {
        clientName: elementText(html, 'client-name'),
        redirectHost: elementText(html, 'redirect-host'),
        clientIdHost: elementText(html, 'client-id-host'),
        html,
      };
      next = { url: new URL(form.action), form: { ...form.hidden, decision: options.decision ?? 'approve' } };
    } else {
      throw new Error(`An unexpected form at ${next.url.href} (fields: ${form.fields.join(', ')}): ${pageSummary(html)}`);
    }
  }
  throw new Error(`No redirect back to the client after ${MAX_HOPS} hops: ${trail.join(', ')}`);
}

/** The authorization response parameters (RFC 6749 §4.1.2, RFC 9207), each required exactly once when present. */
export function responseParams(callback: URL): { code: string | null; state: string | null; iss: string | null; error: string | null } {
  const one = (name: string): string | null => {
    const values = callback.searchParams.getAll(name);
    if (values.length > 1) throw new Error(`${name} appears ${values.length} times in ${callback.href}`);
    return values[0] ?? null;
  };
  return { code: one('code'), state: one('state'), iss: one('iss'), error: one('error') };
}
