/**
 * The token exchange both exchange benches run (bench/token-exchange.ts in-process, and over HTTP
 * in bench/run.ts through server-child.ts): an orchestrator client exchanges a user's access token
 * (issued to the host client for UPSTREAM) for a token for TARGET, acting as an agent that proves
 * itself with a fresh single-use signed assertion per request (RFC 8693 §2.1 actor_token, jti
 * replay cache). Subject tokens are more than the verified-token cache holds, so every request
 * verifies two signatures and signs one.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { GrantType, TokenTypeUri } from '@mandate/protocol';
import type { MandateServer } from '../../packages/server/src/server.ts';
import { randomId } from '../../packages/server/src/crypto/hash.ts';
import { SUBJECT_TOKENS, seedSubjectTokens } from './in-process.ts';

export const UPSTREAM = 'https://orchestrator.example/api';
export const TARGET = 'https://mcp.example/mcp';
export const EXCHANGE_SCOPES = ['mcp:read', 'mcp:write'];
const SECRET = 'bench-orchestrator-secret-0123456789abcdefgh';

/** The configuration the exchange needs (merged into the bench server's settings). */
export const EXCHANGE_SETTINGS = {
  ttl: { accessToken: 3600 },
  tokenExchange: { resources: [{ resource: UPSTREAM, exchangers: ['orchestrator'] }] },
  clients: [
    { client_id: 'host', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['authorization_code'], redirect_uris: ['https://host.example/cb'] },
    { client_id: 'orchestrator', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_basic', grant_types: [GrantType.TokenExchange] },
  ],
};

/** The orchestrator's client_secret_basic Authorization header. */
export const ORCHESTRATOR_AUTH = `Basic ${Buffer.from(`orchestrator:${SECRET}`).toString('base64')}`;

/**
 * Seeds the user, its grant and subject tokens and an agent with its own key, and signs `count`
 * single-use actor assertions ahead of time. Returns the form bodies, each to be sent once.
 */
export async function seedExchangeBodies(server: MandateServer, count: number): Promise<string[]> {
  const { ctx } = server;
  const issuer = ctx.config.issuer;
  const now = ctx.now();
  const { userId, subjectTokens } = await seedSubjectTokens(ctx, { clientId: 'host', resource: UPSTREAM, scope: EXCHANGE_SCOPES.join(' '), count: SUBJECT_TOKENS, email: 'bench-exchange@example.com' });
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const agentId = randomId('agt');
  await ctx.storage.agents.create({
    id: agentId, name: 'bench agent', description: '', ownerUserId: userId, allowedScopes: ['mcp:read'], allowedAudiences: [TARGET], allowedTools: [],
    maxDelegationDepth: 5, status: 'active', suspendedBy: null, attestation: null, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] }, clientId: null, createdAt: now, updatedAt: now,
  });
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    const assertion = await new SignJWT({ iss: agentId, sub: agentId, aud: issuer, jti: randomUUID(), iat: now, exp: now + 280 }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey);
    bodies.push(
      new URLSearchParams({
        grant_type: GrantType.TokenExchange,
        subject_token: subjectTokens[i % SUBJECT_TOKENS] as string,
        subject_token_type: TokenTypeUri.AccessToken,
        actor_token: assertion,
        actor_token_type: TokenTypeUri.Jwt,
        resource: TARGET,
        scope: 'mcp:read',
      }).toString(),
    );
  }
  return bodies;
}
