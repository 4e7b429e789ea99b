/**
 * Errors of the interaction pages. They are shown to the user on a page — never redirected to the
 * client, since at this point the failure (expired, foreign browser, forged form) is between the
 * user's browser and this server.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isOAuthError } from '@mandate/protocol';
import { errorPage } from './pages/error.ts';
import { sendPage } from './respond.ts';

export class InteractionPageError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly title: string,
    readonly userMessage: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(userMessage);
  }
}

export const expiredInteraction = (): InteractionPageError =>
  new InteractionPageError(400, 'This sign-in request has expired', 'This sign-in request has expired or was already completed.');

export function renderPageError(c: Context, err: unknown): Response {
  if (err instanceof InteractionPageError) {
    return sendPage(c, errorPage({ title: err.title, message: err.userMessage }), { status: err.status, headers: err.headers });
  }
  if (isOAuthError(err)) {
    // Malformed form posts (wrong content type, repeated fields, oversized bodies).
    return sendPage(c, errorPage({ title: 'This request cannot continue', message: err.description, code: err.error }), { status: 400 });
  }
  throw err;
}
