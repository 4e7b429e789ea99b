/**
 * A user's browser login with our ID token, for the ID-token lineage and custody tests (issue 3,
 * CO-1 / AU-2): a session, a consent, a grant resting on both, its code exchanged at /token.
 */
import { expect } from 'vitest';
import { randomId, randomToken, sha256 } from '../../src/crypto/hash.ts';
import type { UserRecord } from '../../src/storage/records.ts';
import { createCode, createUser, exchangeCode, type TokenServer } from '../token/fixtures.ts';
import { auth, ORCHESTRATOR } from './fixtures.ts';

export const SCOPE = 'openid mcp:read files:read';

export interface Login {
  user: UserRecord;
  grantId: string;
  consentId: string;
  sessionIdHash: string;
  code: Awaited<ReturnType<typeof createCode>>;
  idToken: string;
  accessToken: string;
  refreshToken: string;
}

/**
 * What a browser login and consent leave (a session, a consent, a grant resting on both, its code)
 * for a fresh user — so no other test's consent can bound the exchange — then the code at /token.
 */
export async function login(server: TokenServer): Promise<Login> {
  const { ctx } = server;
  const now = ctx.now();
  const user = await createUser(ctx, `${randomId('u')}@example.com`, 'ID token');
  const consentId = randomId('cns');
  await ctx.storage.consents.create({ id: consentId, userId: user.id, clientId: 'host', scope: SCOPE, resources: [], authorizationDetails: null, createdAt: now, revokedAt: null });
  const sessionIdHash = sha256(randomToken(32));
  await ctx.storage.sessions.create({ idHash: sessionIdHash, userId: user.id, authTime: now, acr: 'urn:mandate:acr:mfa', amr: ['pwd', 'otp'], createdAt: now, expiresAt: now + 3600, revokedAt: null });
  const code = await createCode(ctx, { clientId: 'host', userId: user.id, redirectUri: 'https://host.example/cb', scope: SCOPE, resources: [ORCHESTRATOR], consentId, sessionIdHash });
  const res = await exchangeCode(server, code, {}, auth.host);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { user, grantId: code.grantId, consentId, sessionIdHash, code, idToken: res.body.id_token, accessToken: res.body.access_token, refreshToken: res.body.refresh_token };
}
