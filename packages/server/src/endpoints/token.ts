/**
 * The token endpoint (RFC 6749 §3.2): parse, authenticate the client, check it may use the grant
 * type, verify a DPoP proof (RFC 9449 §5), then hand over to the grant's own table of checks
 * (grants/registry.ts). Responses are never cached (RFC 6749 §5.1).
 */
import type { Context, Hono } from 'hono';
import { UnauthorizedClientError, UnsupportedGrantTypeError, isOAuthError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import type { ClientRecord } from '../storage/records.ts';
import { readForm } from '../http/params.ts';
import { clientIp } from '../http/client-ip.ts';
import { SECURITY_HEADER_RECORD, securityHeadersSent } from '../http/security-headers.ts';
import { authenticateClient } from '../clients/authenticate.ts';
import { currentDpopNonce } from '../dpop/nonce.ts';
import { grantHandler } from '../grants/registry.ts';
import { tokenEndpointDpop } from '../grants/shared/dpop.ts';
import { auditFailure } from '../grants/shared/audit.ts';
import type { DpopKey, TokenResponseBody } from '../grants/types.ts';
import { Paths } from './paths.ts';

export { registerGrantHandler, supportedGrantTypes } from '../grants/registry.ts';
export type { GrantHandler, TokenRequest, TokenResponseBody } from '../grants/types.ts';

export function registerTokenRoutes(app: Hono, ctx: ServerContext): void {
  app.post(Paths.token, async (c) => {
    const params = await readForm(c); // content type, size limit, no repeated parameters (RFC 6749 §3.2)
    const grantType = params.require('grant_type');
    const handler = grantHandler(grantType);
    if (!handler) throw new UnsupportedGrantTypeError(`The grant type '${truncate(grantType)}' is not supported.`);
    const client = await authenticateClient(ctx, c, params, { endpoint: 'token' }); // RFC 6749 §3.2.1
    const ip = clientIp(c);
    let dpop: DpopKey | null = null;
    try {
      checkClientGrantType(client, grantType); // RFC 6749 §5.2 unauthorized_client
      dpop = await tokenEndpointDpop(ctx, c, client); // RFC 9449 §5
      const body = await handler({ ctx, c, params, grantType, client, dpop, ip });
      return tokenResponse(c, body, dpop ? currentDpopNonce(ctx) : null);
    } catch (err) {
      await auditFailure(ctx, { clientId: client.clientId, grantType, ip, requestedScope: params.get('scope') ?? null, resources: params.getAll('resource'), err });
      // RFC 9449 §8: a client using DPoP learns the current nonce on every response.
      if (dpop && isOAuthError(err)) err.headers['DPoP-Nonce'] ??= currentDpopNonce(ctx);
      throw err;
    }
  });
}

/** RFC 6749 §5.2: "The authenticated client is not authorized to use this authorization grant type." */
function checkClientGrantType(client: ClientRecord, grantType: string): void {
  if (!client.grantTypes.includes(grantType)) {
    throw new UnauthorizedClientError(`This client is not registered for the '${grantType}' grant type.`);
  }
}

/** RFC 6749 §5.1: JSON, `Cache-Control: no-store`, `Pragma: no-cache`. */
const TOKEN_RESPONSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
});
/** Without our Node server (in-process `app.fetch`, another server) nothing else adds the security headers: the response carries them. */
const TOKEN_RESPONSE_HEADERS_WITH_SECURITY = Object.freeze({ ...SECURITY_HEADER_RECORD, ...TOKEN_RESPONSE_HEADERS });

/**
 * Built as a plain Response with a plain header object rather than through `c.json`: on the Node
 * server the adapter writes such a response straight out, without a `Headers` object to build and
 * copy back (this is the busiest response of the server).
 */
function tokenResponse(c: Context, body: TokenResponseBody, dpopNonce: string | null): Response {
  const base = securityHeadersSent(c) ? TOKEN_RESPONSE_HEADERS : TOKEN_RESPONSE_HEADERS_WITH_SECURITY;
  const headers = dpopNonce === null ? base : { ...base, 'DPoP-Nonce': dpopNonce };
  return new Response(JSON.stringify(body), { status: 200, headers });
}

function truncate(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}…` : value;
}
