/**
 * Mandate as the OAuth client of a third-party provider (issue 5, VA-1): the token endpoint
 * (authorization code and refresh, RFC 6749 §4.1.3 / §6) and token revocation (RFC 7009).
 * Responses are validated before use; errors become VaultProviderError carrying the
 * provider's error code and never a token.
 */
import type { VaultProviderMetadata } from '../storage/records.ts';
import { OutboundFetchError } from '../clients/ssrf-fetch.ts';
import { VaultProviderError } from './errors.ts';
import { PROVIDER_TIMEOUT_MS } from './outbound.ts';

/**
 * The one outbound call the vault makes: a form POST. Production uses `providerFetch`
 * (outbound.ts: SSRF-checked, size- and time-limited); tests may pass the global fetch.
 */
export type Fetch = (url: string, init: { method: 'POST'; headers: Record<string, string>; body: URLSearchParams; redirect: 'manual'; signal?: AbortSignal }) => Promise<Response>;

/** The token response fields the vault keeps (RFC 6749 §5.1). `expiresIn` is relative, seconds. */
export interface ProviderTokens {
  accessToken: string;
  refreshToken: string | null;
  expiresIn: number | null;
  scope: string | null;
}

export interface ProviderClient {
  metadata: VaultProviderMetadata;
  /** The decrypted client secret, or null for a public client. Lives only as long as this object. */
  clientSecret: string | null;
  fetch: Fetch;
}

/** RFC 6749 §2.3.1: client_id and secret are form-urlencoded before Basic encoding. */
function basic(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

function authenticate(client: ProviderClient, body: URLSearchParams, headers: Record<string, string>): void {
  const { clientId, tokenEndpointAuthMethod } = client.metadata;
  if (tokenEndpointAuthMethod === 'client_secret_basic' && client.clientSecret !== null) {
    headers.authorization = basic(clientId, client.clientSecret);
    return;
  }
  body.set('client_id', clientId);
  if (tokenEndpointAuthMethod === 'client_secret_post' && client.clientSecret !== null) body.set('client_secret', client.clientSecret);
}

async function post(client: ProviderClient, url: string, body: URLSearchParams): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  authenticate(client, body, headers);
  let response: Response;
  try {
    // A redirect is not followed (a 3xx is an invalid response here): it could carry the form, secret included, anywhere.
    response = await client.fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) });
  } catch (err) {
    throw outboundError(err);
  }
  const text = await response.text().catch(() => '');
  let json: unknown = null;
  try {
    json = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.status, json };
}

/** The SSRF guard's refusals keep their reason (no secret in it); anything else is a network error. */
function outboundError(err: unknown): VaultProviderError {
  if (!(err instanceof OutboundFetchError)) return new VaultProviderError('network_error', null);
  if (err.code === 'ERR_URL_SCHEME' || err.code === 'ERR_ADDRESS_REFUSED' || err.code === 'ERR_URL_INVALID') return new VaultProviderError('endpoint_refused', null, err.code);
  if (err.code === 'ERR_TOO_LARGE' || err.code === 'ERR_REDIRECT') return new VaultProviderError('invalid_response', null, err.code);
  return new VaultProviderError('network_error', null, err.code);
}

/** Only a short printable description is kept: a provider might echo a token in it otherwise unbounded. */
function providerError(status: number, json: unknown): VaultProviderError {
  const body = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const error = typeof body.error === 'string' && /^[\x21-\x7e]{1,64}$/.test(body.error) ? body.error : status >= 500 ? 'server_error' : 'invalid_response';
  const description = typeof body.error_description === 'string' && /^[\x20-\x7e]{1,200}$/.test(body.error_description) ? body.error_description : undefined;
  return new VaultProviderError(error, status, description);
}

function parseTokens(status: number, json: unknown): ProviderTokens {
  if (status !== 200) throw providerError(status, json);
  const body = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  if (typeof body.access_token !== 'string' || body.access_token.length === 0) throw new VaultProviderError('invalid_response', status, 'no access_token');
  // RFC 6749 §7.1: the vault releases bearer tokens only; a DPoP- or MAC-bound token would not work for the caller.
  if (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer') throw new VaultProviderError('invalid_response', status, 'token_type is not Bearer');
  const expiresIn = typeof body.expires_in === 'number' && Number.isFinite(body.expires_in) && body.expires_in > 0 ? Math.floor(body.expires_in) : null;
  return {
    accessToken: body.access_token,
    refreshToken: typeof body.refresh_token === 'string' && body.refresh_token.length > 0 ? body.refresh_token : null,
    expiresIn,
    scope: typeof body.scope === 'string' ? body.scope : null,
  };
}

/** RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.5). */
export async function exchangeCode(client: ProviderClient, input: { code: string; codeVerifier: string; redirectUri: string }): Promise<ProviderTokens> {
  const body = new URLSearchParams({ grant_type: 'authorization_code', code: input.code, code_verifier: input.codeVerifier, redirect_uri: input.redirectUri });
  const { status, json } = await post(client, client.metadata.tokenEndpoint, body);
  return parseTokens(status, json);
}

/** RFC 6749 §6. The response may carry a new refresh token (rotation); the caller keeps the old one otherwise. */
export async function refreshTokens(client: ProviderClient, refreshToken: string): Promise<ProviderTokens> {
  const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
  const { status, json } = await post(client, client.metadata.tokenEndpoint, body);
  return parseTokens(status, json);
}

/**
 * RFC 7009 §2.1. Revoking the refresh token also ends its access tokens at providers that
 * follow the SHOULD in §2.1. A 200 is success whatever the body (§2.2), including for a token
 * the provider no longer knows.
 */
export async function revokeToken(client: ProviderClient, token: string, hint: 'access_token' | 'refresh_token'): Promise<void> {
  const endpoint = client.metadata.revocationEndpoint;
  if (endpoint === null) return;
  const { status, json } = await post(client, endpoint, new URLSearchParams({ token, token_type_hint: hint }));
  if (status !== 200) throw providerError(status, json);
}

/**
 * Best effort, for tokens the vault obtained but will not store (a refresh or a link that lost
 * to an unlink): nobody else knows them, so they are revoked now or never. Failures are ignored.
 */
export async function revokeDropped(client: ProviderClient, tokens: Pick<ProviderTokens, 'accessToken' | 'refreshToken'>): Promise<void> {
  const attempts: Array<[string, 'access_token' | 'refresh_token']> = [[tokens.accessToken, 'access_token']];
  if (tokens.refreshToken !== null) attempts.unshift([tokens.refreshToken, 'refresh_token']);
  for (const [token, hint] of attempts) {
    try {
      await revokeToken(client, token, hint);
    } catch (err) {
      if (!(err instanceof VaultProviderError)) throw err;
    }
  }
}
