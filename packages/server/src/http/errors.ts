/**
 * Maps thrown errors to responses. OAuth errors carry their own status and code; anything
 * else is a bug: logged with detail, answered with a generic server_error (never a stack).
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { isOAuthError, InvalidRequestError, type OAuthError } from '@mandate/protocol';
import type { Logger } from 'pino';

export function oauthErrorResponse(err: OAuthError): Response {
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store', ...err.headers });
  return new Response(JSON.stringify(err.toJSON()), { status: err.status, headers });
}

export function errorHandler(logger: Logger) {
  return (err: unknown, c: Context): Response => {
    if (isOAuthError(err)) {
      if (err.detail) logger.debug({ err: err.error, detail: err.detail, path: c.req.path }, 'oauth error');
      return oauthErrorResponse(err);
    }
    if (err instanceof HTTPException) {
      // Hono raises these for malformed input it parsed itself (e.g. a bad JSON body).
      if (err.status < 500) return oauthErrorResponse(new InvalidRequestError(err.message || 'Malformed request.'));
    }
    logger.error({ err, path: c.req.path, method: c.req.method }, 'unhandled error');
    return new Response(JSON.stringify({ error: 'server_error', error_description: 'An unexpected error occurred.' }), {
      status: 500,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    });
  };
}
