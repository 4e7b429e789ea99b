/**
 * The authorization endpoint, GET and POST (RFC 6749 §3.1: both must be supported). The pipeline
 * lives in ./authorize/: one file per check, pipeline.ts lists them.
 */
import type { Hono } from 'hono';
import type { ServerContext } from '../context.ts';
import { queryParams, readForm } from '../http/params.ts';
import { Paths } from './paths.ts';
import { handleAuthorizationRequest } from './authorize/handle.ts';

export { completeAuthorization, type CompletedAuthentication, type CompletionInput } from './authorize/complete.ts';
export type { AuthorizationRequest } from './authorize/request.ts';

export function registerAuthorizeRoutes(app: Hono, ctx: ServerContext): void {
  app.get(Paths.authorization, (c) => handleAuthorizationRequest(c, ctx, () => queryParams(c)));
  app.post(Paths.authorization, (c) => handleAuthorizationRequest(c, ctx, () => readForm(c)));
}
