/**
 * The keys of a trusted external issuer (workload issuer or ID-JAG issuer) as a jose key
 * resolver. Keys by value are imported once; a `jwksUri` is fetched through the SSRF-safe fetch
 * (clients/ssrf-fetch.ts: https only, public addresses unless federation.devAllowedHosts names the
 * host, no redirects, a deadline and a size limit), cached for `jwksCacheSeconds`, and fetched
 * again early only when a JWT names a `kid` the cached set lacks (key rotation), at most once per
 * cooldown so unknown kids cannot make us hammer the issuer.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { ServerContext } from '../context.ts';
import type { FederationConfig } from './schema.ts';
import { publicJwkProblem } from '../dpop/public-jwk.ts';
import { safeFetch } from '../clients/ssrf-fetch.ts';

/** Thrown when an issuer's keys cannot be obtained; the grant turns it into invalid_grant. */
export class IssuerKeysError extends Error {
  override name = 'IssuerKeysError';
}

export interface KeySource {
  issuer: string;
  jwks?: { keys: Record<string, unknown>[] } | undefined;
  jwksUri?: string | undefined;
}

const REFETCH_COOLDOWN_MS = 30 * 1000;

interface RemoteState {
  set: JWTVerifyGetKey | null;
  fetchedAt: number;
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

function remoteSet(config: FederationConfig, jwksUri: string, issuer: string): JWTVerifyGetKey {
  const state: RemoteState = { set: null, fetchedAt: 0, inFlight: null };
  const load = (): Promise<JWTVerifyGetKey> => {
    state.inFlight ??= fetchSet(config, jwksUri, issuer)
      .then((set) => {
        state.set = set;
        state.fetchedAt = Date.now();
        return set;
      })
      .finally(() => {
        state.inFlight = null;
      });
    return state.inFlight;
  };
  return async (header, token) => {
    const fresh = state.set !== null && Date.now() - state.fetchedAt < config.jwksCacheSeconds * 1000;
    const set = fresh ? (state.set as JWTVerifyGetKey) : await load();
    try {
      return await set(header, token);
    } catch (err) {
      // A kid we do not know may be a key the issuer just rotated in: fetch again, once per cooldown.
      if (!(err instanceof errors.JWKSNoMatchingKey) || Date.now() - state.fetchedAt < REFETCH_COOLDOWN_MS) throw err;
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
    if (response.status !== 200) throw new IssuerKeysError(`The jwks_uri of the issuer ${issuer} answered HTTP ${response.status}.`);
    body = response.body;
  } catch (err) {
    if (err instanceof IssuerKeysError) throw err;
    throw new IssuerKeysError(`The jwks_uri of the issuer ${issuer} could not be fetched (${(err as Error).message}).`);
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
