/**
 * How the vault reaches third-party providers: the SSRF-safe POST built for SSO
 * (federation/upstream/fetch.ts, on clients/ssrf-fetch.ts) — https only, every resolved address
 * public and the socket pinned to it, no redirects, one deadline, a body limit. The provider's
 * endpoints are admin-configured, but the vault sends refresh tokens and the client secret to
 * them: an endpoint resolving to an internal address must not turn the vault into a proxy into
 * the private network, and a hostile provider must not hold a request open or stream an
 * unbounded body into memory. `devAllowedHosts` (federation.devAllowedHosts, refused in
 * production by config/load.ts) admits the loopback providers of development and tests.
 */
import { upstreamFetch } from '../federation/upstream/fetch.ts';
import type { Fetch } from './provider-client.ts';

/** A token response is a few kilobytes; 64 KiB leaves room for verbose providers and nothing more. */
export const PROVIDER_MAX_BYTES = 64 * 1024;
/** Shorter than the refresh lease (refresh.ts REFRESH_LEASE_SECONDS), so a live holder never loses it. */
export const PROVIDER_TIMEOUT_MS = 10_000;

export function providerFetch(devAllowedHosts: readonly string[]): Fetch {
  return upstreamFetch({ devAllowedHosts, timeoutMs: PROVIDER_TIMEOUT_MS, maxBytes: PROVIDER_MAX_BYTES });
}
