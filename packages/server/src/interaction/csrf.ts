/**
 * CSRF tokens for the login, TOTP and consent forms (AS-8). The token is a MAC of the interaction
 * id under a key derived from the secret key: nothing to store, unforgeable without the key, and
 * useless for any other interaction. Checked in constant time.
 */
import type { ServerContext } from '../context.ts';
import { constantTimeEqual } from '../crypto/hash.ts';
import { mac } from './keys.ts';

export const CSRF_FIELD = 'csrf';

export function csrfToken(ctx: ServerContext, interactionId: string): string {
  return mac(ctx.config, 'csrf', `csrf:${interactionId}`);
}

export function isValidCsrfToken(ctx: ServerContext, interactionId: string, presented: string | undefined): boolean {
  return presented !== undefined && constantTimeEqual(presented, csrfToken(ctx, interactionId));
}
