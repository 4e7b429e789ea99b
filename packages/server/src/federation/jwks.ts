/**
 * The keys of a trusted external issuer (workload issuer or ID-JAG issuer) as a jose key
 * resolver. Keys by value are imported once; a `jwksUri` is fetched through the SSRF-safe fetch
 * (clients/ssrf-fetch.ts: https only, public addresses unless federation.devAllowedHosts names the
 * host, no redirects, a deadline and a size limit), cached for `jwksCacheSeconds`, and fetched
 * again early only when a JWT names a `kid` the cached set lacks (key rotation), at most once per
 * cooldown so unknown kids cannot make us hammer the issuer. A failed fetch is remembered for
 * JWKS_FAILURE_COOLDOWN_MS, and an expired set is served for a short grace (JWKS_STALE_GRACE_MAX_MS
 * at most) while the issuer is unreachable; an answer that withdraws the set ends it (remoteSet).
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { ServerContext } from '../context.ts';
import type { FederationConfig } from './schema.ts';
import { publicJwkProblem } from '../dpop/public-jwk.ts';
import { OutboundFetchError, safeFetch } from '../clients/ssrf-fetch.ts';

/**
 * What safeFetch reports for an issuer it could not reach: an outage, not an answer (isTransient).
 * ERR_DNS counts only when the name did not come back NXDOMAIN (ENOTFOUND, below).
 */
const UNREACHABLE: ReadonlySet<OutboundFetchError['code']> = new Set(['ERR_DNS', 'ERR_NETWORK', 'ERR_TIMEOUT']);
/**
 * HTTP answers that say "not now" rather than "not this": 5xx, 408 Request Timeout (RFC 9110
 * §15.5.9) and 429 Too Many Requests (RFC 6585 §4) are about availability, so they keep the grace.
 * Every other status (404/410 for a withdrawn set, 401/403, …) is an answer and ends it.
 */
const UNAVAILABLE_STATUSES: ReadonlySet<number> = new Set([408, 429]);

/** Thrown when an issuer's keys cannot be obtained; the grant turns it into invalid_grant. */
export class IssuerKeysError extends Error {
  override name = 'IssuerKeysError';
  constructor(
    message: string,
    /** The issuer could not be reached or failed (network error, timeout, DNS other than NXDOMAIN, 5xx, 408, 429): the only failures the stale grace covers (isTransient). */
    readonly transient = false,
  ) {
    super(message);
  }
}

export interface KeySource {
  issuer: string;
  jwks?: { keys: Record<string, unknown>[] } | undefined;
  jwksUri?: string | undefined;
}

const REFETCH_COOLDOWN_MS = 30 * 1000;
/**
 * After a failed fetch the issuer is not asked again for this long: while its jwks_uri is down,
 * each assertion would otherwise wait out a fresh fetch deadline (jwksTimeoutMs), and the requests
 * piling up behind it would make our token endpoint slow for everyone. The failure is answered
 * from memory meanwhile.
 */
export const JWKS_FAILURE_COOLDOWN_MS = 30 * 1000;
/** The longest an expired set is served past its cache age while the issuer is unreachable. */
export const JWKS_STALE_GRACE_MAX_MS = 5 * 60 * 1000;

interface RemoteState {
  set: JWTVerifyGetKey | null;
  fetchedAt: number;
  /** The last fetch that failed, and when: answered again until JWKS_FAILURE_COOLDOWN_MS has passed. */
  failure: { error: unknown; at: number } | null;
  /**
   * A fetch since the last good one got an answer that withdraws the set (a non-transient failure):
   * no stale grace until a fetch succeeds again. Sticky, so a 5xx or network error after a 404
   * does not bring the withdrawn set back.
   */
  withdrawn: boolean;
  inFlight: Promise<JWTVerifyGetKey> | null;
}

const resolvers = new WeakMap<ServerContext, Map<string, JWTVerifyGetKey>>();

/** One resolver per server and key source, kept for the life of the server (the configuration is static). */
export function issuerKeyResolver(ctx: ServerContext, source: KeySource): JWTVerifyGetKey {
  let cache = resolvers.get(ctx);
  if (!cache) resolvers.set(ctx, (cache = new Map()));
  const cacheKey = `${source.issuer}\n${source.jwksUri ?? JSON.stringify(source.jwks)}`;
  let resolver = cache.get(cacheKey);
  if (!resolver) {
    resolver = source.jwks ? localSet(source.jwks, source.issuer) : remoteSet(ctx.config.federation, source.jwksUri as string, source.issuer);
    cache.set(cacheKey, resolver);
  }
  return resolver;
}

/** Only public asymmetric signature keys: a private or symmetric member must never verify anything. */
function localSet(jwks: { keys: unknown }, issuer: string): JWTVerifyGetKey {
  const keys = Array.isArray(jwks.keys) ? jwks.keys.filter((k) => publicJwkProblem(k) === null) : [];
  if (keys.length === 0) throw new IssuerKeysError(`The JWK Set of the issuer ${issuer} has no public signature keys.`);
  try {
    return createLocalJWKSet({ keys } as JSONWebKeySet);
  } catch {
    throw new IssuerKeysError(`The JWK Set of the issuer ${issuer} is malformed.`);
  }
}

/**
 * An expired set is still used for a grace of min(cache age, JWKS_STALE_GRACE_MAX_MS) while the
 * issuer is unreachable (network error, timeout, DNS other than NXDOMAIN, 5xx, 408, 429): an
 * issuer's outage must not stop its users at once. A key the issuer removed thus stays usable up to
 * cache age + grace after our last good fetch (15 min with the default 600 s), not just the cache
 * age. An answer — a 4xx such as 404/410 from a withdrawn JWKS, NXDOMAIN, a redirect, an oversized
 * or invalid document — ends the grace at once, and for good: only a successful fetch restores it
 * (RemoteState.withdrawn), so an outage that follows does not serve the withdrawn set again.
 */
function remoteSet(config: FederationConfig, jwksUri: string, issuer: string): JWTVerifyGetKey {
  const state: RemoteState = { set: null, fetchedAt: 0, failure: null, withdrawn: false, inFlight: null };
  const cacheMs = config.jwksCacheSeconds * 1000;
  const load = (): Promise<JWTVerifyGetKey> => {
    state.inFlight ??= fetchSet(config, jwksUri, issuer)
      .then((set) => {
        state.set = set;
        state.fetchedAt = Date.now();
        state.failure = null;
        state.withdrawn = false;
        return set;
      }, (error: unknown) => {
        state.failure = { error, at: Date.now() };
        if (!(error instanceof IssuerKeysError && error.transient)) state.withdrawn = true;
        throw error;
      })
      .finally(() => {
        state.inFlight = null;
      });
    return state.inFlight;
  };
  const coolingDown = (): boolean => state.failure !== null && Date.now() - state.failure.at < JWKS_FAILURE_COOLDOWN_MS;
  const graceMs = Math.min(cacheMs, JWKS_STALE_GRACE_MAX_MS);
  const stale = (): JWTVerifyGetKey | null =>
    state.set !== null && !state.withdrawn && Date.now() - state.fetchedAt < cacheMs + graceMs ? state.set : null;
  const current = async (): Promise<JWTVerifyGetKey> => {
    if (state.set !== null && Date.now() - state.fetchedAt < cacheMs) return state.set;
    if (coolingDown()) {
      const kept = stale();
      if (kept) return kept;
      throw state.failure?.error; // the remembered IssuerKeysError, without a new fetch
    }
    try {
      return await load();
    } catch (err) {
      const kept = stale();
      if (kept) return kept;
      throw err;
    }
  };
  return async (header, token) => {
    const set = await current();
    try {
      return await set(header, token);
    } catch (err) {
      // A kid we do not know may be a key the issuer just rotated in: fetch again, once per cooldown.
      if (!(err instanceof errors.JWKSNoMatchingKey) || Date.now() - state.fetchedAt < REFETCH_COOLDOWN_MS || coolingDown()) throw err;
      return (await load())(header, token);
    }
  };
}

async function fetchSet(config: FederationConfig, jwksUri: string, issuer: string): Promise<JWTVerifyGetKey> {
  let body: Buffer;
  try {
    const response = await safeFetch(jwksUri, {
      timeoutMs: config.jwksTimeoutMs,
      maxBytes: config.jwksMaxBytes,
      devAllowedHosts: config.devAllowedHosts,
      headers: { accept: 'application/json, application/jwk-set+json' },
    });
    if (response.status !== 200) {
      const unavailable = response.status >= 500 || UNAVAILABLE_STATUSES.has(response.status);
      throw new IssuerKeysError(`The jwks_uri of the issuer ${issuer} answered HTTP ${response.status}.`, unavailable);
    }
    body = response.body;
  } catch (err) {
    if (err instanceof IssuerKeysError) throw err;
    throw new IssuerKeysError(`The jwks_uri of the issuer ${issuer} could not be fetched (${(err as Error).message}).`, isTransient(err));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new IssuerKeysError(`The jwks_uri of the issuer ${issuer} did not return JSON.`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new IssuerKeysError(`The jwks_uri of the issuer ${issuer} did not return a JWK Set.`);
  return localSet(parsed as { keys: unknown }, issuer);
}

/**
 * Whether a failed fetch is an outage the stale grace covers: a network error, a timeout, or a DNS
 * failure other than NXDOMAIN (SERVFAIL, a resolver timeout). NXDOMAIN (the resolver's ENOTFOUND,
 * OutboundFetchError.dnsCode) means the domain is gone — a decommissioned
 * issuer has withdrawn its keys. Anything that is not an OutboundFetchError (a programming error)
 * is not known to be an outage, so it ends the grace too: failing closed.
 */
function isTransient(err: unknown): boolean {
  if (!(err instanceof OutboundFetchError) || !UNREACHABLE.has(err.code)) return false;
  return err.dnsCode !== 'ENOTFOUND';
}
