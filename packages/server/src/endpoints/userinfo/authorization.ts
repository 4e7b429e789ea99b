/**
 * The access token of a protected-resource request: only in the Authorization header (TOK-1),
 * with the Bearer (RFC 6750 §2.1) or DPoP (RFC 9449 §7.1) scheme. The form-body and query
 * methods of RFC 6750 §2.2/§2.3 are not accepted: tokens in URLs and bodies end up in logs.
 */
import type { Context } from 'hono';
import { InvalidRequestError } from '@mandate/protocol';

export type AuthScheme = 'Bearer' | 'DPoP';

export interface PresentedAccessToken {
  scheme: AuthScheme;
  token: string;
}

/** RFC 7235 §2.1 credentials = auth-scheme 1*SP token68. */
const CREDENTIALS = /^(\S+) +([A-Za-z0-9\-._~+/]+=*)$/;

/** Null when the request carries no Bearer or DPoP credentials at all (RFC 6750 §3.1: then no error code). */
export function readAccessToken(c: Context, tokenInBody: boolean): PresentedAccessToken | null {
  if (tokenInBody || new URL(c.req.url).searchParams.has('access_token')) {
    throw new InvalidRequestError('Send the access token in the Authorization header, not in the URL or the body.');
  }
  const header = c.req.header('authorization');
  if (header === undefined) return null;
  const scheme = /^(\S+)/.exec(header)?.[1]?.toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'dpop') return null;
  const match = CREDENTIALS.exec(header.trim());
  if (!match?.[2]) throw new InvalidRequestError('The Authorization header is malformed: expected "Bearer <token>" or "DPoP <token>".');
  return { scheme: scheme === 'dpop' ? 'DPoP' : 'Bearer', token: match[2] };
}
