/**
 * Browser binding of interactions. The interaction id travels in URLs, so it is not enough to
 * act on an interaction: the browser that started it at /authorize also holds a cookie with a
 * MAC of the id. A leaked or planted interaction URL is useless in another browser. The cookie
 * holds the tags of the few most recent interactions (several tabs, several MCP servers at
 * once), and a tag is dropped once its interaction is finished (single use).
 */
import type { Context } from 'hono';
import type { ServerContext } from '../context.ts';
import { constantTimeEqual } from '../crypto/hash.ts';
import { CookieName, clearCookie, readCookie, writeCookie } from './cookies.ts';
import { mac } from './keys.ts';

const MAX_PENDING = 5;

function tagFor(ctx: ServerContext, interactionId: string): string {
  return mac(ctx.config, 'interaction-binding', `interaction:${interactionId}`);
}

function currentTags(c: Context, ctx: ServerContext): string[] {
  const value = readCookie(c, ctx, CookieName.interaction);
  return value === undefined ? [] : value.split('.').filter((t) => /^[A-Za-z0-9_-]{43}$/.test(t)).slice(0, MAX_PENDING);
}

export function bindInteraction(c: Context, ctx: ServerContext, interactionId: string): void {
  const tags = [tagFor(ctx, interactionId), ...currentTags(c, ctx)].slice(0, MAX_PENDING);
  writeCookie(c, ctx, CookieName.interaction, tags.join('.'), ctx.config.ttl.interaction);
}

export function isBoundToBrowser(c: Context, ctx: ServerContext, interactionId: string): boolean {
  const expected = tagFor(ctx, interactionId);
  // Compare against every tag (no early exit) so timing does not tell which one matched.
  return currentTags(c, ctx).reduce((found, tag) => constantTimeEqual(tag, expected) || found, false);
}

export function releaseInteraction(c: Context, ctx: ServerContext, interactionId: string): void {
  const expected = tagFor(ctx, interactionId);
  const rest = currentTags(c, ctx).filter((tag) => !constantTimeEqual(tag, expected));
  if (rest.length === 0) clearCookie(c, ctx, CookieName.interaction);
  else writeCookie(c, ctx, CookieName.interaction, rest.join('.'), ctx.config.ttl.interaction);
}
