/**
 * The first stage of /authorize: which client, and where may the answer go? Until both are
 * known nothing may be redirected (RFC 6749 §4.1.2.1, RFC 9700 §4.1.3): every error thrown here
 * is shown to the user on a page.
 */
import { InvalidClientError, InvalidRequestError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import type { Params } from '../../http/params.ts';
import type { ClientRecord } from '../../storage/records.ts';
import { loadPushedRequest } from './pushed-request.ts';
import { resolveRedirectUri, type ResolvedRedirectUri } from './redirect-uri.ts';
import type { AuthorizationRequest } from './request.ts';

export type AuthorizationTarget =
  | { kind: 'direct'; client: ClientRecord; redirect: ResolvedRedirectUri }
  | { kind: 'pushed'; client: ClientRecord; request: AuthorizationRequest };

export async function resolveClient(ctx: ServerContext, clientId: string | undefined): Promise<ClientRecord> {
  if (clientId === undefined) throw new InvalidRequestError('The client_id parameter is required.');
  const client = await ctx.clients.get(clientId);
  if (!client) throw new InvalidClientError('The client is not known to this authorization server.');
  return client;
}

export async function resolveAuthorizationTarget(ctx: ServerContext, params: Params): Promise<AuthorizationTarget> {
  const client = await resolveClient(ctx, params.get('client_id'));
  const requestUri = params.get('request_uri');
  if (requestUri !== undefined) {
    return { kind: 'pushed', client, request: await loadPushedRequest(ctx, client, requestUri) };
  }
  return { kind: 'direct', client, redirect: resolveRedirectUri(client, params.get('redirect_uri')) };
}
