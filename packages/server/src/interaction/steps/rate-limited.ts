import type { Context } from 'hono';
import { errorPage } from '../pages/error.ts';
import { sendPage } from '../respond.ts';

/** RFC 6585 §4: 429 with Retry-After; the form is not processed, so there is nothing to redirect to. */
export function rateLimited(c: Context, retryAfterSeconds: number): Response {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return sendPage(
    c,
    errorPage({
      title: 'Too many attempts',
      message: `Too many failed sign-in attempts. For your security, try again in about ${minutes} minute${minutes === 1 ? '' : 's'}.`,
    }),
    { status: 429, headers: { 'Retry-After': String(retryAfterSeconds) } },
  );
}
