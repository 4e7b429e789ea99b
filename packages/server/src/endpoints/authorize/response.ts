/**
 * Authorization responses (RFC 6749 §4.1.2, §4.1.2.1) as query parameters of the redirect URI,
 * each carrying `iss` (RFC 9207 §2, AS-5) so the client can tell which server answered — on
 * errors too. The redirect URI's own query is kept byte for byte (RFC 6749 §3.1.2).
 */
import type { OAuthError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';

export interface ResponseTarget {
  redirectUri: string;
  state: string | null;
}

export function authorizationResponseUrl(ctx: ServerContext, target: ResponseTarget, values: Record<string, string>): string {
  const query = new URLSearchParams(values);
  if (target.state !== null) query.set('state', target.state);
  query.set('iss', ctx.config.issuer);
  const separator = target.redirectUri.includes('?') ? (target.redirectUri.endsWith('?') || target.redirectUri.endsWith('&') ? '' : '&') : '?';
  return `${target.redirectUri}${separator}${query.toString()}`;
}

export function errorResponseUrl(ctx: ServerContext, target: ResponseTarget, err: OAuthError): string {
  return authorizationResponseUrl(ctx, target, { error: err.error, error_description: err.description });
}
