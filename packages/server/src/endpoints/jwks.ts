/**
 * The JWK Set (RFC 7517 §5) at `jwks_uri`: the active signing key and every retired key whose
 * tokens may still be alive, so resource servers verify tokens across a rotation.
 */
import type { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { ServerContext } from '../context.ts';
import { toPublicJwk } from '../keys/key-material.ts';
import { Paths } from './paths.ts';

/** Resource servers cache the set; five minutes keeps a rotation visible well within a token's lifetime. */
export const JWKS_CACHE_CONTROL = 'public, max-age=300';

export function registerJwksRoutes(app: Hono, ctx: ServerContext): void {
  // `app` is rooted at the issuer's path (http/app.ts), so this serves endpointUrl(issuer, Paths.jwks).
  // Public document: browser-based clients and resource servers may fetch it cross-origin.
  app.use(Paths.jwks, cors({ origin: '*', allowMethods: ['GET', 'HEAD', 'OPTIONS'] }));
  app.get(Paths.jwks, async () => {
    const { keys } = await ctx.keys.jwks();
    // Defensive: only public members ever leave, whatever the key store hands over.
    const body = JSON.stringify({ keys: keys.map((k) => toPublicJwk(k as Record<string, unknown>)) });
    return new Response(body, {
      status: 200,
      headers: { 'content-type': 'application/jwk-set+json', 'cache-control': JWKS_CACHE_CONTROL },
    });
  });
}
