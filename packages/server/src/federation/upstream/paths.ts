import type { ServerContext } from '../../context.ts';

/**
 * One fixed redirect URI for every provider and interaction: providers match redirect URIs
 * exactly (RFC 9700 §4.1.3), so the interaction travels in `state`, looked up server-side.
 */
export const UPSTREAM_CALLBACK_PATH = '/sso/callback';

export function upstreamRedirectUri(ctx: ServerContext): string {
  return `${ctx.config.issuer}${UPSTREAM_CALLBACK_PATH}`;
}
