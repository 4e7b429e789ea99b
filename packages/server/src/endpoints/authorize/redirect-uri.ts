/**
 * Redirect URI matching (RFC 9700 §4.1.3, OAuth 2.1 §2.3.1, CL-4): simple string comparison with
 * the registered URIs. The only variation is the port of a loopback redirect (RFC 8252 §7.3),
 * because a native app listens on whatever port the OS gives it at the time of the request.
 *
 * Errors here are never sent to the redirect URI (RFC 6749 §4.1.2.1): /authorize shows a page and
 * PAR answers invalid_request (RFC 9126 §2.3).
 */
import { InvalidRequestError } from '@mandate/protocol';
import type { ClientRecord } from '../../storage/records.ts';

/** http, a loopback host, an optional port, then the rest taken verbatim (no normalization tricks). */
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(?::(\d{1,5}))?([/?][^#]*)?$/;

interface LoopbackParts {
  host: string;
  rest: string;
}

function loopbackParts(uri: string): LoopbackParts | null {
  const m = LOOPBACK.exec(uri);
  if (!m) return null;
  const port = m[2];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return null;
  return { host: m[1] as string, rest: m[3] ?? '' };
}

/** RFC 8252 §7.3: same loopback host, same path and query, any port. */
export function matchesLoopbackRedirect(registered: string, requested: string): boolean {
  const a = loopbackParts(registered);
  const b = loopbackParts(requested);
  return a !== null && b !== null && a.host === b.host && a.rest === b.rest;
}

export interface ResolvedRedirectUri {
  redirectUri: string;
  sent: boolean;
}

export function resolveRedirectUri(client: Pick<ClientRecord, 'redirectUris'>, requested: string | undefined): ResolvedRedirectUri {
  const registered = client.redirectUris;
  if (registered.length === 0) throw new InvalidRequestError('The client has no registered redirect URI.');
  if (requested === undefined) {
    // OAuth 2.1 §4.1.1: redirect_uri may be omitted only when exactly one is registered.
    if (registered.length === 1) return { redirectUri: registered[0] as string, sent: false };
    throw new InvalidRequestError('The redirect_uri parameter is required: the client has several registered redirect URIs.');
  }
  if (registered.includes(requested)) return { redirectUri: requested, sent: true };
  if (registered.some((r) => matchesLoopbackRedirect(r, requested))) return { redirectUri: requested, sent: true };
  throw new InvalidRequestError('The redirect_uri does not match any redirect URI registered for this client.');
}
