/**
 * Host name resolution for outbound fetches (ssrf-fetch.ts), kept off libuv's thread pool.
 *
 * `dns.lookup` calls getaddrinfo on a pool thread and holds it for as long as the resolver takes.
 * That pool is where jose's WebCrypto signs and verifies every token, and a client_id URL's host
 * is chosen by the attacker: a domain with a slow authoritative server would hold a thread per
 * fetch and stall token issuance. `Resolver` (c-ares) queries on the event loop instead, with our
 * own timeout and number of tries.
 *
 * c-ares reads /etc/resolv.conf's name servers but not /etc/hosts, and Node's Resolver queries
 * names as given (ares_query, not ares_search: resolv.conf `search` domains are not applied,
 * nodejs/node#17850). So `localhost` and every name under it are answered here as loopback
 * (RFC 6761 §6.3), never queried.
 *
 * That is the right trade for attacker-chosen hosts only. Operator-configured hosts (upstream IdPs,
 * vault providers: federation/upstream/fetch.ts) are often short names (Kubernetes `keycloak.auth`)
 * or /etc/hosts entries, which only the system resolver answers: `resolveWithSystem` (getaddrinfo,
 * on the pool, for hosts the operator chose and so trusts to answer promptly).
 */
import dnsPromises, { Resolver } from 'node:dns/promises';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** What resolveHost needs of a resolver; tests pass a `Resolver` pointed at their own server. */
export type HostResolver = Pick<Resolver, 'resolve4' | 'resolve6'>;

/** How resolveVettedAddresses (ssrf-fetch.ts) turns a host name into addresses. */
export type ResolveAddresses = (host: string) => Promise<ResolvedAddress[]>;

/** Per-query timeout (c-ares backs off on each retry) and attempts per server. */
export const DNS_TIMEOUT_MS = 2000;
export const DNS_TRIES = 2;

let sharedResolver: Resolver | undefined;

/** One c-ares channel for the process, created on first use with the system's name servers. */
export function defaultResolver(): HostResolver {
  sharedResolver ??= new Resolver({ timeout: DNS_TIMEOUT_MS, tries: DNS_TRIES });
  return sharedResolver;
}

/** The loopback addresses, IPv4 first: a development server listening on 127.0.0.1 only is the common case. */
const LOOPBACK: readonly ResolvedAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

/** RFC 6761 §6.3: `localhost.` and names under it resolve to loopback, without a query. */
export function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/** RFC 6761 §6.4: `invalid.` and names under it never resolve; answered at once, without a query. */
export function isInvalidName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'invalid' || name.endsWith('.invalid');
}

/** Why resolution failed: the resolver's code (ENOTFOUND, ETIMEOUT, …). */
export class HostResolutionError extends Error {
  override name = 'HostResolutionError';
  constructor(readonly code: string) {
    super(`Host resolution failed (${code}).`);
  }
}

/**
 * The A and AAAA records of `host`, queried in parallel. One family failing (no such record,
 * or even a timeout) is fine when the other answered: only answered addresses are ever used.
 * IPv4 first, so a caller that connects to the first address reaches servers without IPv6; Node's
 * Happy Eyeballs (RFC 8305) is offered all of them anyway (ssrf-fetch.ts, pinnedLookup).
 */
export async function resolveHost(host: string, resolver: HostResolver = defaultResolver()): Promise<ResolvedAddress[]> {
  if (isLocalhostName(host)) return LOOPBACK.map((a) => ({ ...a }));
  if (isInvalidName(host)) throw new HostResolutionError('ENOTFOUND');
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  const addresses: ResolvedAddress[] = [
    ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 as const })) : []),
    ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 as const })) : []),
  ];
  if (addresses.length > 0) return addresses;
  if (v4.status === 'rejected' || v6.status === 'rejected') throw new HostResolutionError(failureCode(v4, v6));
  return [];
}

/** The more telling of the two failures: "no AAAA record" says less than the A query's error. */
function failureCode(v4: PromiseSettledResult<string[]>, v6: PromiseSettledResult<string[]>): string {
  const codes = [v4, v6].flatMap((r) => (r.status === 'rejected' ? [String((r.reason as NodeJS.ErrnoException)?.code ?? 'error')] : []));
  return codes.find((c) => c !== 'ENODATA') ?? codes[0] ?? 'error';
}

/** c-ares, off the thread pool: for hosts an attacker may choose (safeFetch). */
export const resolveWithCares: ResolveAddresses = (host) => resolveHost(host);

/**
 * The system resolver (`dns.lookup`, getaddrinfo): search domains and /etc/hosts apply. Called
 * through the module object at call time, so a test can watch it. IPv4 first, as resolveHost.
 */
export const resolveWithSystem: ResolveAddresses = async (host) => {
  if (isLocalhostName(host)) return LOOPBACK.map((a) => ({ ...a }));
  if (isInvalidName(host)) throw new HostResolutionError('ENOTFOUND');
  const found = await dnsPromises.lookup(host, { all: true });
  const addresses = found.flatMap((a) => (a.family === 4 || a.family === 6 ? [{ address: a.address, family: a.family as 4 | 6 }] : []));
  return [...addresses.filter((a) => a.family === 4), ...addresses.filter((a) => a.family === 6)];
};
