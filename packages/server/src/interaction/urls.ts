import type { ServerContext } from '../context.ts';
import { Paths } from '../endpoints/paths.ts';

/** Interaction URLs hang off the issuer, so they stay right behind a path-prefixing proxy. */
export function interactionUrl(ctx: ServerContext, interactionId: string, step?: 'login' | 'totp' | 'totp-enrollment' | 'consent' | 'passkey' | 'sso'): string {
  const base = `${ctx.config.issuer}${Paths.interaction}/${encodeURIComponent(interactionId)}`;
  return step === undefined ? base : `${base}/${step}`;
}
