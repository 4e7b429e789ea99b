/**
 * Downstream tokens (PASS-1): a call to another API never carries the caller's token. The MCP
 * server exchanges it at the authorization server (RFC 8693 §2.1) — subject_token = the incoming
 * token, the MCP server authenticated as its own confidential client — for a token whose audience
 * is the downstream API (RFC 8707 `resource`) with only the scopes asked for, and caches it per
 * inbound token + audience + scopes until shortly before it expires (see cacheKey).
 */
import type { AuthContext, DownstreamTokenProvider } from '../core/types.ts';
import { TokenCache } from './cache.ts';
import { tokenHash } from '../token/token-hash.ts';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export interface ExchangeCredentials {
  clientId: string;
  clientSecret: string;
}

export interface TokenExchangerOptions {
  /** The AS token endpoint; when absent it is read from the issuer's RFC 8414 metadata. */
  tokenEndpoint?: string;
  issuer?: string;
  credentials: ExchangeCredentials;
  /** Seconds before expiry a cached token is renewed (default 30). */
  refreshSkew?: number;
  maxEntries?: number;
  now?: () => number;
  fetch?: typeof fetch;
}

/** The exchange failed; `error` is the AS's OAuth error code (RFC 6749 §5.2) or `temporarily_unavailable`. */
export class DownstreamTokenError extends Error {
  override readonly name = 'DownstreamTokenError';
  constructor(
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

export interface TokenExchanger extends DownstreamTokenProvider {
  /** Cached entries (health checks, tests). */
  readonly cacheSize: number;
}

/**
 * The inbound token a downstream token stands for. Two tokens of the same user are not
 * interchangeable: after a step-up the strong-acr downstream token must not serve a call made with
 * the older password-only token (the downstream's minAcr / max_age would be bypassed), a token of
 * another DPoP key must not get it, and a new grant must not inherit the token of a revoked one.
 * So the key names how the user authenticated (acr, auth_time, amr), the binding (cnf.jkt), the
 * grant and jti, and ends in a hash of the inbound token itself, which decides alone: each inbound
 * token gets its own downstream tokens (opaque tokens, whose claims may say none of this, too).
 */
export function cacheKey(auth: AuthContext, audience: string, scopes: readonly string[]): string {
  const grant = typeof auth.claims.grant_id === 'string' ? auth.claims.grant_id : null;
  const caller = [auth.issuer, auth.subject, auth.user ?? null, auth.clientId, auth.actorChain.map((a) => a.sub), [...auth.scopes].sort()];
  const authentication = [auth.acr ?? null, auth.authTime ?? null, [...auth.amr].sort(), auth.cnf?.jkt ?? null, grant, auth.jti ?? null];
  const inbound = tokenHash(auth.token);
  return JSON.stringify([...caller, ...authentication, inbound, audience, [...new Set(scopes)].sort()]);
}

export function createTokenExchanger(options: TokenExchangerOptions): TokenExchanger {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const cache = new TokenCache({ refreshSkew: options.refreshSkew, maxEntries: options.maxEntries, now });
  let endpoint: Promise<string> | null = options.tokenEndpoint ? Promise.resolve(options.tokenEndpoint) : null;

  function tokenEndpoint(): Promise<string> {
    if (!endpoint) {
      if (!options.issuer) throw new Error('createTokenExchanger needs tokenEndpoint or issuer.');
      endpoint = discoverTokenEndpoint(options.issuer, doFetch).catch((err: unknown) => {
        endpoint = null; // retry discovery next time
        throw err;
      });
    }
    return endpoint;
  }

  async function exchange(auth: AuthContext, audience: string, scopes: string[]): Promise<{ token: string; expiresAt: number }> {
    const form = new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: auth.token, subject_token_type: ACCESS_TOKEN_TYPE, requested_token_type: ACCESS_TOKEN_TYPE });
    // RFC 8693 §2.1: a URI target is a `resource`, a logical name an `audience`.
    form.set(isAbsoluteUri(audience) ? 'resource' : 'audience', audience);
    if (scopes.length > 0) form.set('scope', [...new Set(scopes)].join(' '));
    let res: Response;
    try {
      res = await doFetch(await tokenEndpoint(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: basic(options.credentials) },
        body: form,
        signal: AbortSignal.timeout(10_000),
      });
    } catch {
      throw new DownstreamTokenError('temporarily_unavailable', 'The authorization server could not be reached for token exchange.');
    }
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.status !== 200) {
      const code = typeof body.error === 'string' ? body.error : 'server_error';
      const description = typeof body.error_description === 'string' ? body.error_description : `HTTP ${res.status}`;
      throw new DownstreamTokenError(code, `Token exchange for ${audience} refused: ${code}: ${description}`);
    }
    return readExchangeResponse(body, auth, now());
  }

  return {
    get cacheSize() {
      return cache.size;
    },
    token(auth, audience, scopes) {
      return cache.get(cacheKey(auth, audience, scopes), () => exchange(auth, audience, scopes));
    },
  };
}

/** RFC 8693 §2.2.1: access_token, issued_token_type, token_type, expires_in. */
export function readExchangeResponse(body: Record<string, unknown>, auth: AuthContext, now: number): { token: string; expiresAt: number } {
  const token = body.access_token;
  if (typeof token !== 'string' || token === '') throw new DownstreamTokenError('invalid_response', 'The token exchange response has no access_token.');
  if (token === auth.token) throw new DownstreamTokenError('invalid_response', 'The authorization server returned the incoming token itself; it is never forwarded (PASS-1).');
  if (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer') {
    throw new DownstreamTokenError('invalid_response', `The exchanged token is of type ${String(body.token_type)}; only Bearer tokens can be sent downstream.`);
  }
  if (body.issued_token_type !== undefined && body.issued_token_type !== ACCESS_TOKEN_TYPE) {
    throw new DownstreamTokenError('invalid_response', `The exchange issued a ${String(body.issued_token_type)}, not an access token.`);
  }
  const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
  // Never trust the downstream token beyond the incoming one: the caller's authority ends there.
  return { token, expiresAt: Math.min(now + Math.floor(expiresIn), auth.expiresAt) };
}

async function discoverTokenEndpoint(issuer: string, doFetch: typeof fetch): Promise<string> {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
  const res = await doFetch(`${url.origin}/.well-known/oauth-authorization-server${path}`, { signal: AbortSignal.timeout(10_000) });
  const meta = (await res.json()) as Record<string, unknown>;
  if (meta.issuer !== issuer || typeof meta.token_endpoint !== 'string') throw new DownstreamTokenError('invalid_response', `The metadata of ${issuer} has no matching issuer or no token_endpoint (RFC 8414 §3.3).`);
  return meta.token_endpoint;
}

function basic(credentials: ExchangeCredentials): string {
  // RFC 6749 §2.3.1: each part form-urlencoded before base64.
  return `Basic ${Buffer.from(`${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`).toString('base64')}`;
}

function isAbsoluteUri(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(value);
}
