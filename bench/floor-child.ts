/**
 * The stack's floor for a client_credentials grant (`npx tsx bench/cc-cpu.ts --floor`): Hono on
 * @hono/node-server, the Basic credentials checked against one SHA-256 in constant time, the form
 * read, one jose ES256 signature over RFC 9068-shaped claims, the JSON response. No storage, no
 * audit, no client registry, no checks. Whatever Mandate spends above this figure is its own
 * work; the figure says how far the chosen libraries allow a grant to go on this machine.
 * Never a product path: it exists only to measure against.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { CompactSign, generateKeyPair } from 'jose';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { serveCommands } from './lib/child.ts';
import { CC_CLIENT, basicAuth } from './lib/fixtures.ts';

async function start(): Promise<{ port: number }> {
  const { privateKey } = await generateKeyPair('ES256');
  const expected = createHash('sha256').update(basicAuth(CC_CLIENT)).digest();
  const utf8 = new TextEncoder();
  const app = new Hono();
  app.post('/token', async (c) => {
    const presented = createHash('sha256').update(c.req.header('authorization') ?? '').digest();
    if (!timingSafeEqual(presented, expected)) return c.json({ error: 'invalid_client' }, 401);
    const params = new URLSearchParams(await c.req.text());
    const now = Math.floor(Date.now() / 1000);
    const scope = params.get('scope');
    const claims = { iss: 'http://127.0.0.1', sub: CC_CLIENT.clientId, aud: params.get('resource'), client_id: CC_CLIENT.clientId, scope, jti: randomBytes(16).toString('base64url'), iat: now, exp: now + 300 };
    const jwt = await new CompactSign(utf8.encode(JSON.stringify(claims))).setProtectedHeader({ alg: 'ES256', kid: 'floor', typ: 'at+jwt' }).sign(privateKey);
    c.header('Cache-Control', 'no-store');
    return c.json({ access_token: jwt, token_type: 'Bearer', expires_in: 300, scope });
  });
  return new Promise((resolve) => {
    serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve({ port: info.port }));
  });
}

serveCommands({ start, cpuUsage: () => process.cpuUsage() });
