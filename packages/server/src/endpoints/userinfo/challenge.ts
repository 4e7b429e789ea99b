/**
 * Error responses of a protected resource (RFC 6750 §3, RFC 9449 §7.1): the status and the
 * `WWW-Authenticate` challenge carry the error; the JSON body repeats it for humans.
 * DPoP proof problems are authentication failures here (401), unlike at the token endpoint.
 */
import { InsufficientScopeError, InvalidDpopProofError, InvalidRequestError, UseDpopNonceError, type OAuthError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import { dpopSigningAlgs } from '../../dpop/index.ts';
import type { AuthScheme } from './authorization.ts';

/** 401 without an error code: the request had no credentials (RFC 6750 §3.1). Both schemes are offered. */
export function unauthenticatedResponse(ctx: ServerContext): Response {
  const headers = new Headers({ 'cache-control': 'no-store' });
  headers.append('www-authenticate', bearerChallenge(ctx));
  headers.append('www-authenticate', dpopChallenge(ctx));
  return new Response(null, { status: 401, headers });
}

export function challengeResponse(ctx: ServerContext, scheme: AuthScheme, err: OAuthError, extra: { scope?: string } = {}): Response {
  const params: Record<string, string> = { error: err.error, error_description: err.description };
  if (extra.scope !== undefined) params.scope = extra.scope;
  const challenge = scheme === 'DPoP' ? dpopChallenge(ctx, params) : bearerChallenge(ctx, params);
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store', ...err.headers });
  headers.set('www-authenticate', challenge);
  return new Response(JSON.stringify(err.toJSON()), { status: statusOf(err), headers });
}

function statusOf(err: OAuthError): number {
  if (err instanceof InvalidRequestError) return 400;
  if (err instanceof InsufficientScopeError) return 403;
  // RFC 9449 §7.1 / §9: a bad proof or a missing nonce at a resource is a 401 challenge.
  if (err instanceof InvalidDpopProofError || err instanceof UseDpopNonceError) return 401;
  return err.status;
}

function bearerChallenge(ctx: ServerContext, params: Record<string, string> = {}): string {
  return `Bearer ${authParams({ realm: ctx.config.issuer, ...params })}`;
}

function dpopChallenge(ctx: ServerContext, params: Record<string, string> = {}): string {
  return `DPoP ${authParams({ realm: ctx.config.issuer, algs: dpopSigningAlgs(ctx.config.dpop.algs).join(' '), ...params })}`;
}

/** RFC 7235 §2.1 auth-params as quoted strings; RFC 6750 §3 limits the characters, so others are dropped. */
function authParams(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([name, value]) => `${name}="${value.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '')}"`)
    .join(', ');
}
