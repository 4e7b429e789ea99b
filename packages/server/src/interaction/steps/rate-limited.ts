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

/** RFC 9110 §15.6.4: 503 with Retry-After while the server sheds a flood of sign-ins (crypto/password.ts). */
export function serverBusy(c: Context): Response {
  return sendPage(
    c,
    errorPage({ title: 'Busy', message: 'The server is handling too many sign-ins at the moment. Please try again in a few seconds.' }),
    { status: 503, headers: { 'Retry-After': '2' } },
  );
}
