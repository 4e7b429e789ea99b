/**
 * The keys a `private_key_jwt` client signs with (RFC 7591 §2 `jwks` / `jwks_uri`), as jose key
 * resolvers, cached per client so keys are imported (or fetched) once, not per request.
 *
 * A `jwks_uri` comes from a registration (DCR, admin, or a Client ID Metadata Document), so
 * fetching it is a server-side request an outsider can aim: it goes through the same SSRF-safe
 * fetch as CIMD documents (../ssrf-fetch.ts: https only, public addresses only unless the
 * development allowance names the host, no redirects, the CIMD timeout and size limit).
 */
import { createLocalJWKSet, createRemoteJWKSet, customFetch, type FetchImplementation, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { InvalidClientError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import type { MandateConfig } from '../../config/config.ts';
import type { ClientRecord } from '../../storage/records.ts';
import { publicJwkProblem } from '../../dpop/public-jwk.ts';
import { safeFetch } from '../ssrf-fetch.ts';

interface CachedResolver {
  /** What the resolver was built from; a changed registration builds a new one. */
  source: string;
  resolver: JWTVerifyGetKey;
}

/** Bounds memory when many distinct (e.g. CIMD) clients authenticate. */
const MAX_CACHED_CLIENTS = 1000;
const REMOTE_CACHE_MAX_AGE_MS = 10 * 60 * 1000;
/** After a fetch, a kid not found waits this long before the next fetch (no fetch storms). */
const REMOTE_COOLDOWN_MS = 30 * 1000;

const caches = new WeakMap<ServerContext, Map<string, CachedResolver>>();

/** The key resolver for a client's registered keys; invalid_client when it has none usable. */
export function clientKeyResolver(ctx: ServerContext, client: ClientRecord): JWTVerifyGetKey {
  let cache = caches.get(ctx);
  if (!cache) caches.set(ctx, (cache = new Map()));
  const source = client.jwks ? `jwks:${JSON.stringify(client.jwks)}` : client.jwksUri ? `jwks_uri:${client.jwksUri}` : null;
  if (source === null) throw new InvalidClientError('The client has no registered keys (jwks or jwks_uri) to verify its client_assertion.');
  const cached = cache.get(client.clientId);
  if (cached && cached.source === source) return cached.resolver;
  const resolver = client.jwks ? localResolver(client.jwks) : remoteResolver(ctx.config, client.jwksUri as string);
  cache.delete(client.clientId);
  cache.set(client.clientId, { source, resolver });
  if (cache.size > MAX_CACHED_CLIENTS) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return resolver;
}

/** Keys by value. Private or symmetric members are dropped: they must never verify anything. */
function localResolver(jwks: { keys: Record<string, unknown>[] }): JWTVerifyGetKey {
  const keys = Array.isArray(jwks.keys) ? jwks.keys.filter((k) => publicJwkProblem(k) === null) : [];
  if (keys.length === 0) throw new InvalidClientError("The client's registered JWK Set has no public signature keys.");
  try {
    return createLocalJWKSet({ keys } as JSONWebKeySet);
  } catch {
    throw new InvalidClientError("The client's registered JWK Set is malformed.");
  }
}

function remoteResolver(config: MandateConfig, jwksUri: string): JWTVerifyGetKey {
  let url: URL;
  try {
    url = new URL(jwksUri);
  } catch {
    throw new InvalidClientError("The client's registered jwks_uri is not a valid URL.");
  }
  return createRemoteJWKSet(url, {
    timeoutDuration: config.cimd.timeoutMs,
    cooldownDuration: REMOTE_COOLDOWN_MS,
    cacheMaxAge: REMOTE_CACHE_MAX_AGE_MS,
    [customFetch]: ssrfSafeJwksFetch(config),
  });
}

/** jose's fetch hook, answered by the SSRF-safe fetch. */
export function ssrfSafeJwksFetch(config: MandateConfig): FetchImplementation {
  return async (url, options) => {
    const requestHeaders: Record<string, string> = {};
    options.headers.forEach((value, name) => {
      requestHeaders[name] = value;
    });
    const response = await safeFetch(url, {
      timeoutMs: config.cimd.timeoutMs,
      maxBytes: config.cimd.maxBytes,
      devAllowedHosts: config.cimd.devAllowedHosts,
      headers: requestHeaders,
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      if (typeof value === 'string') headers.set(name, value);
    }
    // jose wants 200 with a JSON body; other statuses are passed on bodiless for it to refuse.
    const body = response.status === 200 ? new Uint8Array(response.body) : null;
    return new Response(body, { status: response.status < 200 || response.status > 599 ? 502 : response.status, headers });
  };
}
