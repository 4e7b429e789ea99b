/**
 * Client ID Metadata Document client identifiers (draft-ietf-oauth-client-id-metadata-document §3):
 * the client_id is an https URL that MUST contain a path component, MUST NOT contain single-dot or
 * double-dot path segments, MUST NOT contain a fragment and MUST NOT contain a username or
 * password; it SHOULD NOT contain a query string (allowed here).
 *
 * Mandate also requires the URL to be written in its canonical (WHATWG-serialized) form, because
 * the draft compares client_id values as plain strings: `https://Example.com/c` and
 * `https://example.com/c` would otherwise be two clients fetched from one document.
 */
import { InvalidClientError } from '@mandate/protocol';
import { isDevAllowedHost } from '../ssrf-fetch.ts';

export const MAX_CLIENT_ID_URL_LENGTH = 2048;

export interface CimdUrlPolicy {
  enabled: boolean;
  devAllowedHosts: readonly string[];
}

/**
 * Whether a client_id is to be resolved as a metadata document: an https URL, or an http URL whose
 * host:port the development allowance names. Anything else is an ordinary registered client_id.
 */
export function isCimdClientId(clientId: string, policy: CimdUrlPolicy): boolean {
  if (!policy.enabled) return false;
  if (clientId.startsWith('https://')) return true;
  if (!clientId.startsWith('http://')) return false;
  try {
    return isDevAllowedHost(new URL(clientId), policy.devAllowedHosts);
  } catch {
    return false;
  }
}

/** Throws invalid_client naming the rule a client_id URL breaks. Returns the parsed URL. */
export function checkClientIdUrl(clientId: string, policy: CimdUrlPolicy): URL {
  const refuse = (rule: string) => new InvalidClientError(`The client_id URL is not a valid Client ID Metadata Document URL: ${rule}.`);
  if (clientId.length > MAX_CLIENT_ID_URL_LENGTH) throw refuse(`it is longer than ${MAX_CLIENT_ID_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    throw refuse('it cannot be parsed');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isDevAllowedHost(url, policy.devAllowedHosts))) {
    throw refuse('it must use the https scheme');
  }
  if (clientId.includes('#')) throw refuse('it must not contain a fragment');
  if (url.username !== '' || url.password !== '' || authorityOf(clientId).includes('@')) throw refuse('it must not contain a username or password');
  if (hasDotSegment(clientId)) throw refuse('it must not contain "." or ".." path segments');
  if (hasEncodedSeparator(clientId)) throw refuse('its path must not contain an encoded slash or backslash (%2F, %5C)');
  if (url.pathname === '' || url.pathname === '/') throw refuse('it must contain a path component');
  if (url.href !== clientId) throw refuse(`it must be written in canonical form (${url.href})`);
  return url;
}

function authorityOf(raw: string): string {
  const afterScheme = raw.slice(raw.indexOf('//') + 2);
  const end = afterScheme.search(/[/?#]/);
  return end === -1 ? afterScheme : afterScheme.slice(0, end);
}

/** The path of the URL as written (before parsing normalises it), without query or fragment. */
function rawPathOf(raw: string): string {
  const afterScheme = raw.slice(raw.indexOf('//') + 2);
  const pathStart = afterScheme.indexOf('/');
  if (pathStart === -1) return '';
  return afterScheme.slice(pathStart).split(/[?#]/)[0] ?? '';
}

/**
 * Checks the URL as written: the WHATWG parser removes dot segments (and their %2e spellings),
 * so they have to be found in the raw text before parsing hides them.
 */
function hasDotSegment(raw: string): boolean {
  return rawPathOf(raw).split(/[/\\]/).some((segment) => {
    const s = segment.toLowerCase().replaceAll('%2e', '.');
    return s === '.' || s === '..';
  });
}

/**
 * An encoded slash or backslash survives WHATWG parsing (`/clients/..%2Fuploads%2Fevil.json` is
 * canonical), so it would hide a dot segment from hasDotSegment and from the allowlist's
 * one-segment `*`, while a server that decodes %2F before resolving dot segments serves a file
 * outside the allowed directory. No legitimate document URL needs one.
 */
function hasEncodedSeparator(raw: string): boolean {
  return /%(2f|5c)/i.test(rawPathOf(raw));
}
