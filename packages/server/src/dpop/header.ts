/**
 * Reading the DPoP request header (RFC 9449 §4.1). §4.3 (1): a request carrying more than one
 * DPoP header field is refused. The Fetch `Headers` object joins repeated fields with ", ", and a
 * compact JWS never contains a comma or whitespace, so either sign means several fields (or
 * garbage, which is refused just the same).
 */
import type { Context } from 'hono';
import { InvalidDpopProofError } from '@mandate/protocol';
import { requestHeader } from '../http/request-header.ts';

export function readDpopHeader(c: Context): string | undefined {
  // Joined like Headers.get, without building a Headers per request (http/request-header.ts).
  const value = requestHeader(c, 'dpop');
  if (value === undefined) return undefined;
  if (value.includes(',')) throw new InvalidDpopProofError('More than one DPoP header was sent; exactly one DPoP proof is allowed (RFC 9449 §4.3).');
  if (/\s/.test(value)) throw new InvalidDpopProofError('The DPoP header must hold a single compact JWT (RFC 9449 §4.3).');
  return value;
}
