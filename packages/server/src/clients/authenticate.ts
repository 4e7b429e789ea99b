/**
 * Client authentication at the token, PAR, introspection and revocation endpoints
 * (RFC 6749 §2.3, RFC 7523, RFC 7591 §2 token_endpoint_auth_method), as a table of checks:
 *
 *   1. exactly one method in the request            (RFC 6749 §2.3)        presentedCredentials
 *   2. the client exists                             (RFC 6749 §5.2)        resolveClient
 *   3. the method is the one it registered           (RFC 7591 §2)          checkRegisteredMethod
 *   4. the credential verifies                       (per method)           verifyCredentials
 *
 * Every failure is audited (AU-1) without the credential, and answered `invalid_client` (401,
 * with a Basic challenge when Basic was tried, RFC 6749 §5.2) or `invalid_request`.
 */
import type { Context } from 'hono';
import { InvalidClientError, InvalidRequestError, isOAuthError, type ClientAuthMethod } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import type { Params } from '../http/params.ts';
import type { ClientRecord } from '../storage/records.ts';
import { clientIp } from '../http/client-ip.ts';
import { requestHeader } from '../http/request-header.ts';
import { parseBasicAuthorization, triedBasic } from './auth/client-secret-basic.ts';
import { readPostCredentials } from './auth/client-secret-post.ts';
import { readAssertionCredentials, verifyClientAssertion } from './auth/private-key-jwt.ts';
import { verifyClientSecret } from './auth/client-secret.ts';
import { checkPublicClientAllowed } from './auth/none.ts';
import { clientAuthenticationFailed } from './auth/failure.ts';
import type { ClientEndpoint } from './auth/endpoints.ts';

export type { ClientEndpoint } from './auth/endpoints.ts';

export type PresentedCredentials =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientId: string; clientSecret: string }
  | { method: 'private_key_jwt'; clientId: string; assertion: string }
  | { method: 'none'; clientId: string };

/** Client ids are at most this long in audit rows (a URL client id fits; garbage is cut). */
const MAX_AUDITED_CLIENT_ID = 255;

export async function authenticateClient(ctx: ServerContext, c: Context, params: Params, options: { endpoint: ClientEndpoint }): Promise<ClientRecord> {
  let presented: PresentedCredentials | undefined;
  try {
    presented = presentedCredentials(c, params);
    const client = await resolveClient(ctx, presented.clientId);
    checkRegisteredMethod(client, presented.method, options.endpoint);
    await verifyCredentials(ctx, client, presented, options.endpoint);
    return client;
  } catch (err) {
    if (!isOAuthError(err)) throw err;
    if (err.status === 401 && triedBasic(requestHeader(c, 'authorization'))) err.headers['WWW-Authenticate'] = 'Basic realm="mandate"';
    await auditFailure(ctx, c, options.endpoint, presented, params, err.detail ?? err.description);
    throw err;
  }
}

/** Step 1. RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each request." */
export function presentedCredentials(c: Context, params: Params): PresentedCredentials {
  const basic = parseBasicAuthorization(requestHeader(c, 'authorization'));
  const methods = [basic !== null, params.has('client_secret'), params.has('client_assertion') || params.has('client_assertion_type')];
  if (methods.filter(Boolean).length > 1) {
    throw new InvalidRequestError('More than one client authentication method was used; send exactly one of HTTP Basic, client_secret or client_assertion (RFC 6749 §2.3).');
  }
  if (basic) {
    const clientIdParam = params.get('client_id');
    if (clientIdParam !== undefined && clientIdParam !== basic.clientId) {
      throw new InvalidClientError('The client_id parameter does not match the client id in the Authorization header.');
    }
    return { method: 'client_secret_basic', ...basic };
  }
  const post = readPostCredentials(params);
  if (post) return { method: 'client_secret_post', ...post };
  const assertion = readAssertionCredentials(params);
  if (assertion) return { method: 'private_key_jwt', ...assertion };
  const clientId = params.get('client_id');
  if (clientId === undefined) throw new InvalidClientError('Client authentication is required: no client credentials and no client_id were sent (RFC 6749 §2.3).');
  return { method: 'none', clientId };
}

/** Step 2. An unknown client fails exactly like a wrong secret. */
async function resolveClient(ctx: ServerContext, clientId: string): Promise<ClientRecord> {
  const client = await ctx.clients.get(clientId);
  if (!client) throw clientAuthenticationFailed('unknown client');
  return client;
}

/**
 * Step 3. RFC 7591 §2: the client authenticates with the method it registered, no other. Refused
 * like an unknown client: naming the registered method would tell anyone who sends a bare
 * client_id that the client exists and how it authenticates. The audit row keeps the precise reason.
 */
function checkRegisteredMethod(client: ClientRecord, method: ClientAuthMethod, endpoint: ClientEndpoint): void {
  if (client.tokenEndpointAuthMethod !== method) {
    throw clientAuthenticationFailed(`method ${method} used, ${client.tokenEndpointAuthMethod} registered`);
  }
  if (method === 'none') checkPublicClientAllowed(endpoint);
}

/** Step 4. */
async function verifyCredentials(ctx: ServerContext, client: ClientRecord, presented: PresentedCredentials, endpoint: ClientEndpoint): Promise<void> {
  switch (presented.method) {
    case 'client_secret_basic':
    case 'client_secret_post':
      return verifyClientSecret(client, presented.clientSecret, ctx.now());
    case 'private_key_jwt':
      return verifyClientAssertion(ctx, client, presented.assertion, endpoint);
    case 'none':
      return; // the client_id alone identifies a public client; PKCE and DPoP protect its grants.
  }
}

/** AU-1: failed client authentications are audited: who, where, why; never the credential. */
async function auditFailure(ctx: ServerContext, c: Context, endpoint: ClientEndpoint, presented: PresentedCredentials | undefined, params: Params, reason: string): Promise<void> {
  const clientId = presented?.clientId ?? params.get('client_id') ?? null;
  try {
    await ctx.audit.record({
      event: 'client_authentication',
      result: 'failure',
      clientId: clientId === null ? null : clientId.slice(0, MAX_AUDITED_CLIENT_ID),
      ip: clientIp(c),
      reason,
      data: { endpoint, method: presented?.method ?? null },
    });
  } catch (err) {
    // The request fails anyway; the caller sees the authentication error, the log sees this one.
    ctx.logger.error({ err }, 'could not audit a failed client authentication');
  }
}
