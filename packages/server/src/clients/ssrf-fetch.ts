/**
 * An outbound GET for URLs a client controls (Client ID Metadata Documents, jwks_uri), hardened
 * against server-side request forgery (CIMD draft §6.5, AS-6):
 *
 * - https only; plain http only for a host:port named in the development allowance;
 * - the host name (attacker-chosen) is resolved by c-ares, off libuv's thread pool
 *   (dns-resolve.ts), every address it resolves to must be public (ssrf-address.ts), and the
 *   connection is pinned to the vetted address, so a DNS answer that changes between the check
 *   and the connect (DNS rebinding) cannot redirect it;
 * - redirects are refused, not followed (a 3xx could point anywhere);
 * - one deadline covers DNS, connect, headers and body (slow-drip servers time out);
 * - the body is read up to a byte limit and the connection dropped beyond it.
 *
 * Failures are `OutboundFetchError`s with a stable `code`; callers turn them into OAuth errors.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { resolveWithCares, type ResolveAddresses, type ResolvedAddress } from './dns-resolve.ts';
import { classifyAddress } from './ssrf-address.ts';

export type OutboundFetchErrorCode =
  | 'ERR_URL_INVALID'
  | 'ERR_URL_SCHEME'
  | 'ERR_DNS'
  | 'ERR_ADDRESS_REFUSED'
  | 'ERR_REDIRECT'
  | 'ERR_TIMEOUT'
  | 'ERR_TOO_LARGE'
  | 'ERR_NETWORK';

export class OutboundFetchError extends Error {
  override name = 'OutboundFetchError';
  constructor(
    readonly code: OutboundFetchErrorCode,
    message: string,
    /** ERR_DNS only: the resolver's own code (ENOTFOUND is NXDOMAIN, the name does not exist). */
    readonly dnsCode?: string,
  ) {
    super(message);
  }
}

export interface SafeFetchOptions {
  timeoutMs: number;
  maxBytes: number;
  /** host:port pairs allowed over http and on non-public addresses (development/test only). */
  devAllowedHosts: readonly string[];
  headers?: Record<string, string>;
}

export interface SafeFetchResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const DEFAULT_PORT: Record<string, string> = { 'https:': '443', 'http:': '80' };

/** `host:port` with the scheme's default port made explicit, lowercased. */
export function hostPort(url: URL): string {
  return `${url.hostname}:${url.port || DEFAULT_PORT[url.protocol] || ''}`.toLowerCase();
}

/** True when the development allowance names this URL's host:port. */
export function isDevAllowedHost(url: URL, devAllowedHosts: readonly string[]): boolean {
  const hp = hostPort(url);
  return devAllowedHosts.some((entry) => entry.toLowerCase() === hp || entry.toLowerCase() === url.host.toLowerCase());
}

type VettedAddress = ResolvedAddress;

/**
 * Resolves the host with `resolve` and refuses it unless every address is public (or the host is
 * dev-allowed). The caller picks the resolver (dns-resolve.ts): c-ares for attacker-chosen hosts,
 * the system resolver for operator-configured ones.
 */
export async function resolveVettedAddresses(url: URL, devAllowed: boolean, resolve: ResolveAddresses): Promise<VettedAddress[]> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: ResolvedAddress[];
  if (isIP(host)) {
    addresses = [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await resolve(host);
    } catch (err) {
      const dnsCode = (err as NodeJS.ErrnoException).code;
      throw new OutboundFetchError('ERR_DNS', `The host ${host} could not be resolved (${dnsCode ?? 'error'}).`, dnsCode);
    }
  }
  if (addresses.length === 0) throw new OutboundFetchError('ERR_DNS', `The host ${host} has no addresses.`);
  if (!devAllowed) {
    // All, not any: a name resolving to one public and one private address is refused outright.
    for (const a of addresses) {
      const cls = classifyAddress(a.address);
      if (cls !== 'public') throw new OutboundFetchError('ERR_ADDRESS_REFUSED', `The host ${host} resolves to a ${cls} address (${a.address}), which is refused.`);
    }
  }
  return addresses;
}

/**
 * A lookup that only ever answers the vetted addresses: the socket connects where we checked,
 * whatever DNS says by then. All of them are offered when Node asks for all (Happy Eyeballs,
 * RFC 8305), so a dual-stack host stays reachable from a server without IPv6.
 */
export function pinnedLookup(vetted: VettedAddress[]): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, vetted.map((v) => ({ address: v.address, family: v.family })));
    else callback(null, vetted[0]!.address, vetted[0]!.family);
  }) as unknown as LookupFunction;
}

export async function safeFetch(rawUrl: string, options: SafeFetchOptions): Promise<SafeFetchResponse> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new OutboundFetchError('ERR_URL_INVALID', 'The URL is not valid.');
  }
  const devAllowed = isDevAllowedHost(url, options.devAllowedHosts);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && devAllowed)) {
    throw new OutboundFetchError('ERR_URL_SCHEME', 'Only https URLs may be fetched.');
  }
  if (url.username || url.password) throw new OutboundFetchError('ERR_URL_INVALID', 'The URL must not contain credentials.');

  const deadline = AbortSignal.timeout(options.timeoutMs);
  const timedOut = () => new OutboundFetchError('ERR_TIMEOUT', `No complete response within ${options.timeoutMs} ms.`);
  const vetted = await raceDeadline(resolveVettedAddresses(url, devAllowed, resolveWithCares), deadline, timedOut);
  return new Promise<SafeFetchResponse>((resolve, reject) => {
    // The first failure wins: destroying a socket makes Node report a second, vaguer error.
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      reject(deadline.aborted ? timedOut() : toFetchError(err));
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'GET',
      headers: { 'user-agent': 'Mandate', ...options.headers },
      lookup: pinnedLookup(vetted),
      signal: deadline,
      // One connection per fetch: a pooled socket could outlive the address check.
      agent: false,
    });
    req.on('error', fail);
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && status !== 304) {
        fail(new OutboundFetchError('ERR_REDIRECT', `The server answered ${status} (redirect); redirects are not followed.`));
        res.destroy();
        return;
      }
      readLimited(res, options.maxBytes, fail, (body) => {
        if (settled) return;
        settled = true;
        resolve({ status, headers: res.headers, body });
      });
    });
    req.end();
  });
}

/**
 * Reads a response body up to maxBytes, failing early on a declared or actual overrun and on a
 * connection closed mid-body. Shared with federation/upstream/fetch.ts.
 */
export function readLimited(res: IncomingMessage, maxBytes: number, fail: (err: unknown) => void, done: (body: Buffer) => void): void {
  const tooLarge = () => {
    fail(new OutboundFetchError('ERR_TOO_LARGE', `The response is larger than ${maxBytes} bytes.`));
    res.destroy();
  };
  if (Number(res.headers['content-length'] ?? NaN) > maxBytes) return tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) return tooLarge();
    chunks.push(chunk);
  });
  res.on('end', () => done(Buffer.concat(chunks)));
  res.on('error', fail);
  res.on('aborted', () => fail(new OutboundFetchError('ERR_NETWORK', 'The connection was closed before the response was complete.')));
}

function toFetchError(err: unknown): OutboundFetchError {
  if (err instanceof OutboundFetchError) return err;
  const code = (err as NodeJS.ErrnoException)?.code ?? 'error';
  return new OutboundFetchError('ERR_NETWORK', `The request failed (${code}).`);
}

/** `work`, or `onTimeout()` once `signal` aborts. Shared with federation/upstream/fetch.ts. */
export async function raceDeadline<T>(work: Promise<T>, signal: AbortSignal, onTimeout: () => Error): Promise<T> {
  if (signal.aborted) throw onTimeout();
  let listener: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    listener = () => reject(onTimeout());
    signal.addEventListener('abort', listener, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    if (listener) signal.removeEventListener('abort', listener);
  }
}
