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

export class UpstreamClients {
  private readonly cache = new Map<string, Cached>();
  private readonly failedAt = new Map<string, number>();
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
   * Origins the login page's forms may lead to (CSP form-action): a form post answered with a
   * redirect to the provider is checked against it. The discovered authorization endpoint when
   * known, else the issuer's origin; discovery is started in the background meanwhile.
   */
  formTargets(): string[] {
    return this.providers.map((p) => {
      const cached = this.cache.get(p.id);
      const recentlyFailed = this.ctx.now() - (this.failedAt.get(p.id) ?? -Infinity) < BACKGROUND_RETRY_SECONDS;
      if (!cached && !recentlyFailed) this.configuration(p).catch(() => undefined);
      const endpoint = cached?.config.serverMetadata().authorization_endpoint;
      return new URL(endpoint ?? p.issuer).origin;
    });
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
