/**
 * The authorization endpoint (RFC 6749 §3.1, §4.1.1; OAuth 2.1 §4.1.1), in two stages:
 *
 *   1. parameters, client, redirect URI   errors → an HTML page, never a redirect (§4.1.2.1)
 *   2. everything else (pipeline.ts)      errors → redirect with error, state and iss (RFC 9207)
 *
 * then the request goes to the login and consent pages (start.ts).
 */
import type { Context } from 'hono';
import { InvalidRequestError, isOAuthError, type OAuthError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import type { Params } from '../../http/params.ts';
import { errorPage } from '../../interaction/pages/error.ts';
import { seeOther, sendPage } from '../../interaction/respond.ts';
import { validateAuthorizationRequest } from './pipeline.ts';
import { resolveAuthorizationTarget, type AuthorizationTarget } from './resolve-client.ts';
import { errorResponseUrl } from './response.ts';
import { startAuthorization } from './start.ts';

export async function handleAuthorizationRequest(c: Context, ctx: ServerContext, readParams: () => Params | Promise<Params>): Promise<Response> {
  let params: Params;
  let target: AuthorizationTarget;
  try {
    params = await readParams();
    target = await resolveAuthorizationTarget(ctx, params);
  } catch (err) {
    if (isOAuthError(err)) return showError(c, err);
    throw err;
  }

  const state = target.kind === 'pushed' ? target.request.state : (params.get('state') ?? null);
  const redirectUri = target.kind === 'pushed' ? target.request.redirectUri : target.redirect.redirectUri;
  try {
    if (target.kind === 'pushed') return await startAuthorization(c, ctx, target.request);
    if (target.client.requirePar) {
      throw new InvalidRequestError('This client must use pushed authorization requests (RFC 9126 §6): send a request_uri.');
    }
    const request = await validateAuthorizationRequest({ ctx, client: target.client, params }, target.redirect, { pushed: false });
    return await startAuthorization(c, ctx, request);
  } catch (err) {
    if (!isOAuthError(err)) throw err;
    if (err.detail) ctx.logger.debug({ err: err.error, detail: err.detail, clientId: target.client.clientId }, 'authorization request refused');
    return seeOther(c, errorResponseUrl(ctx, { redirectUri, state }, err));
  }
}

function showError(c: Context, err: OAuthError): Response {
  return sendPage(c, errorPage({ title: 'This request cannot continue', message: err.description, code: err.error }), { status: 400 });
}
