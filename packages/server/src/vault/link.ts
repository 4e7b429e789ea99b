/**
 * Account linking (issue 5, VA-1): Mandate sends the user to the provider with PKCE (RFC 7636,
 * S256) and a state value, and on the callback checks that state before spending the code.
 * The pending link is kept by the caller in the user's server-side session and never sent to
 * the browser except its `state`: a callback is accepted only in the session that started it
 * (RFC 6749 §10.12, CSRF) and only for the user who started it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { VaultProviderMetadata } from '../storage/records.ts';
import { VaultProviderError } from './errors.ts';

/** Where providers send the user back: one URI per connection (RFC 9700 §4.4.2), served by account/vault-routes.ts. */
export const VAULT_CALLBACK_PATH = '/account/vault/callback';

/** The redirect URI to register at a connection's provider, and the only one its links use. */
export function vaultCallbackUrl(issuer: string, connectionId: string): string {
  return `${issuer}${VAULT_CALLBACK_PATH}/${encodeURIComponent(connectionId)}`;
}

/** A pending link: what the callback needs; holds the PKCE verifier, so it stays server-side. */
export interface PendingLink {
  userId: string;
  connectionId: string;
  state: string;
  codeVerifier: string;
  redirectUri: string;
  /** Epoch seconds after which the callback is refused. */
  expiresAt: number;
}

/** Ten minutes: long enough for a consent screen, short enough that a leaked state is soon useless. */
export const LINK_TTL_SECONDS = 600;

export function beginLink(
  provider: VaultProviderMetadata,
  input: { userId: string; connectionId: string; redirectUri: string; scopes?: string[] },
  now: number,
): { authorizationUrl: string; pending: PendingLink } {
  const state = randomBytes(32).toString('base64url');
  const codeVerifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(codeVerifier).digest('base64url');
  const url = new URL(provider.authorizationEndpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', provider.clientId);
  url.searchParams.set('redirect_uri', input.redirectUri);
  url.searchParams.set('scope', (input.scopes ?? provider.scopes).join(' '));
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return {
    authorizationUrl: url.toString(),
    pending: { userId: input.userId, connectionId: input.connectionId, state, codeVerifier, redirectUri: input.redirectUri, expiresAt: now + LINK_TTL_SECONDS },
  };
}

export class LinkCallbackError extends VaultProviderError {}

/** What RFC 9207 needs of the provider: its issuer and whether it always sends `iss`. */
export type IssuerExpectation = Pick<VaultProviderMetadata, 'issuer' | 'authorizationResponseIssParameterSupported'>;

/** The callback's query as the route read it; `iss` may be repeated in a forged one, so all its values. */
export interface CallbackParams {
  state?: string | null;
  code?: string | null;
  error?: string | null;
  iss?: string | readonly string[] | null;
}

/** An RFC 9207 refusal; `reason` is what the route audits (as it does callback_connection_mismatch). */
export class LinkIssuerError extends LinkCallbackError {
  constructor(readonly reason: 'callback_iss_mismatch' | 'callback_iss_missing') {
    super('invalid_request', null, reason === 'callback_iss_missing' ? 'no iss parameter' : 'iss mismatch');
  }
}

/**
 * RFC 9207 §2.4, the mix-up defence where the provider identifies itself: an `iss` must be the
 * issuer saved for the connection, compared as strings with no normalisation, and a provider that
 * advertises authorization_response_iss_parameter_supported must send one. It applies to error
 * responses too. With no issuer saved there is nothing to compare with and `iss` is ignored (the
 * per-connection redirect URI still stands, RFC 9700 §4.4.2).
 */
function checkIssuer(provider: IssuerExpectation, iss: CallbackParams['iss']): void {
  if (provider.issuer === undefined) return;
  const values = iss === undefined || iss === null ? [] : typeof iss === 'string' ? [iss] : iss;
  if (values.length === 0) {
    if (provider.authorizationResponseIssParameterSupported === true) throw new LinkIssuerError('callback_iss_missing');
    return;
  }
  if (values.length > 1 || values[0] !== provider.issuer) throw new LinkIssuerError('callback_iss_mismatch');
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The callback against the pending link: this user's, not expired, its `state`. Cheap and first —
 * before the connection is read and its credential opened — so a forged callback costs nothing.
 */
export function checkCallbackState(pending: PendingLink, userId: string, params: CallbackParams, now: number): void {
  if (pending.userId !== userId) throw new LinkCallbackError('invalid_request', null, 'link started by another user');
  if (now > pending.expiresAt) throw new LinkCallbackError('invalid_request', null, 'link expired');
  if (typeof params.state !== 'string' || !sameString(params.state, pending.state)) throw new LinkCallbackError('invalid_request', null, 'state mismatch');
}

/**
 * After checkCallbackState, against the verified provider metadata: its issuer (RFC 9207), then
 * the code to exchange. The provider's own error (RFC 6749 §4.1.2.1) is reported as such, but only
 * after the state and the issuer matched: an unauthenticated error redirect, or one from another
 * provider, is no reason to tell the user anything.
 */
export function checkCallbackResponse(params: CallbackParams, provider: IssuerExpectation): string {
  checkIssuer(provider, params.iss);
  if (typeof params.error === 'string' && params.error.length > 0) {
    throw new LinkCallbackError(/^[\x21-\x7e]{1,64}$/.test(params.error) ? params.error : 'invalid_request', null);
  }
  if (typeof params.code !== 'string' || params.code.length === 0) throw new LinkCallbackError('invalid_request', null, 'no code');
  return params.code;
}
