/**
 * Mandate as the OpenID Connect client of each configured upstream provider, through
 * openid-client: OIDC Discovery (the metadata's `issuer` must equal the configured one, §4.3),
 * client authentication, and — enabled here — ID token signature checks against the provider's
 * JWKS (non-repudiation), on top of openid-client's iss / aud / exp / nonce / azp checks (OIDC
 * Core §3.1.3.7). Discovered metadata is kept for a while; a failed discovery is retried on the
 * next use, never cached.
 */
import * as oidc from 'openid-client';
import type { ServerContext } from '../../context.ts';
import type { SecretValue, UpstreamProvider } from '../upstream-schema.ts';
import { UpstreamLoginError } from './errors.ts';
import { upstreamFetch } from './fetch.ts';

const DISCOVERY_TTL_SECONDS = 600;
/** After a failed discovery, page views wait this long before trying again in the background. */
const BACKGROUND_RETRY_SECONDS = 30;
const TIMEOUT_MS = 10_000;
/** The longest a login page waits for a provider's first discovery (its CSP needs the result). */
const FORM_TARGET_WAIT_MS = 2_000;
const MAX_BYTES = 256 * 1024;

/** Reads a secret where it is given; null when the environment variable is unset or empty. */
export function resolveSecret(value: SecretValue | undefined): string | null {
  if (value === undefined) return null;
  if (typeof value === 'string') return value;
  const fromEnv = process.env[value.env];
  return fromEnv === undefined || fromEnv === '' ? null : fromEnv;
}

function clientAuth(provider: UpstreamProvider): oidc.ClientAuth {
  if (provider.clientSecret === undefined) return oidc.None();
  const secret = resolveSecret(provider.clientSecret);
  // A missing secret is an operator error: say which provider, never echo a value.
  if (secret === null) throw new UpstreamLoginError('provider_unavailable', `client secret of upstream provider ${provider.id} is not set`);
  return provider.tokenEndpointAuthMethod === 'client_secret_post' ? oidc.ClientSecretPost(secret) : oidc.ClientSecretBasic(secret);
}

interface Cached {
  config: oidc.Configuration;
  until: number;
}

interface InFlight {
  promise: Promise<oidc.Configuration>;
  /** Date.now() at the start: the login page's wait budget counts from here. */
  startedAt: number;
}

export class UpstreamClients {
  private readonly cache = new Map<string, Cached>();
  private readonly failedAt = new Map<string, number>();
  private readonly inFlight = new Map<string, InFlight>();
  private readonly fetch: oidc.CustomFetch;

  constructor(private readonly ctx: ServerContext) {
    const federation = ctx.config.federation;
    this.fetch = upstreamFetch({ devAllowedHosts: federation.devAllowedHosts, timeoutMs: TIMEOUT_MS, maxBytes: MAX_BYTES });
  }

  get providers(): readonly UpstreamProvider[] {
    return this.ctx.config.federation.upstreamProviders;
  }

  provider(id: string): UpstreamProvider | null {
    return this.providers.find((p) => p.id === id) ?? null;
  }

  /** The openid-client configuration of a provider, discovering it when not cached. */
  async configuration(provider: UpstreamProvider): Promise<oidc.Configuration> {
    const cached = this.cache.get(provider.id);
    if (cached && cached.until > this.ctx.now()) return cached.config;
    return this.discovery(provider).promise;
  }

  /** One discovery per provider at a time: concurrent page views and logins share it. */
  private discovery(provider: UpstreamProvider): InFlight {
    const running = this.inFlight.get(provider.id);
    if (running) return running;
    const started: InFlight = { promise: this.discover(provider), startedAt: Date.now() };
    this.inFlight.set(provider.id, started);
    const done = () => void this.inFlight.delete(provider.id);
    started.promise.then(done, done);
    return started;
  }

  private async discover(provider: UpstreamProvider): Promise<oidc.Configuration> {
    let config: oidc.Configuration;
    try {
      const issuer = new URL(provider.issuer);
      const insecure = issuer.protocol === 'http:';
      config = await oidc.discovery(issuer, provider.clientId, undefined, clientAuth(provider), {
        [oidc.customFetch]: this.fetch,
        timeout: TIMEOUT_MS / 1000,
        // Plain http only reaches this far for a dev-allowed host (fetch.ts refuses the rest).
        ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
    } catch (err) {
      if (err instanceof UpstreamLoginError) throw err;
      this.failedAt.set(provider.id, this.ctx.now());
      this.ctx.logger.warn({ provider: provider.id, err: errorSummary(err) }, 'upstream provider discovery failed');
      throw new UpstreamLoginError('provider_unavailable', `discovery of ${provider.id} failed`);
    }
    oidc.enableNonRepudiationChecks(config);
    this.cache.set(provider.id, { config, until: this.ctx.now() + DISCOVERY_TTL_SECONDS });
    return config;
  }

  /**
   * Origins the login page's forms may lead to (CSP form-action): the SSO form post is answered
   * with a 303 to the provider's authorization endpoint, and browsers (Chrome) check that redirect
   * against form-action. The endpoint may live on another origin than the issuer, and is only
   * known from discovery — so the page waits for it (shared, at most FORM_TARGET_WAIT_MS per
   * discovery attempt), or the first click after a restart would be blocked. A provider that is
   * down, slow, or failed recently falls back to the issuer's origin: the page never fails or
   * hangs for an IdP, and the click then gets the provider_unavailable page anyway.
   */
  formTargets(): Promise<string[]> {
    return Promise.all(this.providers.map((p) => this.formTarget(p)));
  }

  private async formTarget(provider: UpstreamProvider): Promise<string> {
    const fallback = new URL(provider.issuer).origin;
    const cached = this.cache.get(provider.id);
    const recentlyFailed = this.ctx.now() - (this.failedAt.get(provider.id) ?? -Infinity) < BACKGROUND_RETRY_SECONDS;
    if (cached) {
      // Stale metadata is still the best guess for the page; it is refreshed in the background.
      if (cached.until <= this.ctx.now() && !recentlyFailed) this.discovery(provider).promise.catch(() => undefined);
      return authorizationOrigin(cached.config) ?? fallback;
    }
    if (recentlyFailed) return fallback;
    const { promise, startedAt } = this.discovery(provider);
    const config = await within(promise.catch(() => null), startedAt + FORM_TARGET_WAIT_MS - Date.now());
    return (config && authorizationOrigin(config)) ?? fallback;
  }
}

/** The origin of a discovered http(s) authorization endpoint; null for anything else. */
function authorizationOrigin(config: oidc.Configuration): string | null {
  try {
    const url = new URL(config.serverMetadata().authorization_endpoint ?? '');
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : null;
  } catch {
    return null;
  }
}

/** The promise's value, or null once `ms` have passed (the promise itself runs on). */
async function within<T>(promise: Promise<T | null>, ms: number): Promise<T | null> {
  if (ms <= 0) return null;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Only names and codes reach the log: errors from openid-client may carry response bodies. */
export function errorSummary(err: unknown): { name: string; code?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? { name: err.name, code } : { name: err.name };
  }
  return { name: 'unknown' };
}

const instances = new WeakMap<ServerContext, UpstreamClients>();

/** One set of clients (and one discovery cache) per server context. */
export function upstreamClients(ctx: ServerContext): UpstreamClients {
  let clients = instances.get(ctx);
  if (!clients) {
    clients = new UpstreamClients(ctx);
    instances.set(ctx, clients);
  }
  return clients;
}
