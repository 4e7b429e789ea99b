/**
 * Which redirect URIs a client may register (OAuth 2.1 §2.3.1, RFC 8252 for native apps, AS-4).
 *
 * web clients     https only. http://localhost-style URIs only in development mode (a web
 *                 application in production never lives on the user's machine).
 * native clients  RFC 8252 §7.3 loopback (http://127.0.0.1, http://[::1], http://localhost — any
 *                 port, matched port-insensitively at /authorize), §7.1 private-use schemes in
 *                 reverse-domain form (com.example.app:/callback), §7.2 claimed https URLs.
 * everyone        absolute URI, no fragment (RFC 6749 §3.1.2), no userinfo.
 */
import { InvalidRedirectUriError } from '@mandate/protocol';

export type ApplicationType = 'web' | 'native';

export const MAX_REDIRECT_URI_LENGTH = 2000;

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

/** RFC 8252 §7.3 / §8.3 loopback host: 127.0.0.0/8, ::1, or the name localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return LOOPBACK_HOSTS.has(h) || /^127(\.\d{1,3}){3}$/.test(h) || h.endsWith('.localhost');
}

/** A redirect URI that reaches the user's own machine (the consent page warns about these, AS-6). */
export function isLoopbackRedirect(uri: string): boolean {
  try {
    const url = new URL(uri);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}

/** RFC 8252 §7.1: a private-use scheme is a reverse domain name, so it contains a period. */
export function isPrivateUseScheme(protocol: string): boolean {
  const scheme = protocol.replace(/:$/, '');
  return /^[a-z][a-z0-9+.-]*$/i.test(scheme) && scheme.includes('.') && scheme !== 'http' && scheme !== 'https';
}

/**
 * When application_type is absent, clients whose every redirect URI is loopback or a private-use
 * scheme are native (MCP hosts registering before AS-7 omit the field); otherwise web, the OIDC
 * Dynamic Registration §2 default.
 */
export function inferApplicationType(redirectUris: readonly string[]): ApplicationType {
  if (redirectUris.length === 0) return 'web';
  const native = redirectUris.every((uri) => {
    if (isLoopbackRedirect(uri)) return true;
    try {
      return isPrivateUseScheme(new URL(uri).protocol);
    } catch {
      return false;
    }
  });
  return native ? 'native' : 'web';
}

export interface RedirectUriPolicy {
  applicationType: ApplicationType;
  /** Development mode: web clients may use loopback http(s) redirect URIs too. */
  allowWebLoopback: boolean;
}

/** Throws invalid_redirect_uri naming the rule the URI breaks. */
export function checkRedirectUri(uri: string, policy: RedirectUriPolicy): void {
  const refuse = (rule: string) => new InvalidRedirectUriError(`The redirect URI ${JSON.stringify(uri.slice(0, 200))} is not allowed: ${rule}.`);
  if (uri.length > MAX_REDIRECT_URI_LENGTH) throw refuse(`it is longer than ${MAX_REDIRECT_URI_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw refuse('it is not an absolute URI');
  }
  if (uri.includes('#')) throw refuse('it must not contain a fragment (RFC 6749 §3.1.2)');
  if (url.username !== '' || url.password !== '') throw refuse('it must not contain a username or password');
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol === 'https:') {
    if (!url.hostname) throw refuse('it has no host');
    if (loopback && policy.applicationType === 'web' && !policy.allowWebLoopback) throw refuse('web clients may not redirect to localhost');
    return;
  }
  if (url.protocol === 'http:') {
    if (!loopback) throw refuse('http is only allowed for loopback redirect URIs (OAuth 2.1 §2.3.1); use https');
    if (policy.applicationType === 'web' && !policy.allowWebLoopback) throw refuse('web clients may not redirect to localhost; native clients declare application_type "native"');
    return;
  }
  if (policy.applicationType === 'web') throw refuse('web clients must use https');
  if (!isPrivateUseScheme(url.protocol)) throw refuse('native clients must use a private-use scheme in reverse-domain form such as com.example.app (RFC 8252 §7.1), a loopback http URI, or https');
}
