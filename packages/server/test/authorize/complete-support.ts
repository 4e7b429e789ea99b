/** completeAuthorization for web-app with a fixed, already validated request (consent-revoked and session-ended tests). */
import { completeAuthorization } from '../../src/endpoints/authorize/complete.ts';
import type { AuthorizationRequest } from '../../src/endpoints/authorize/request.ts';
import { REDIRECT, type TokenServer } from '../token/fixtures.ts';

const request = { clientId: 'web-app', redirectUri: REDIRECT.web, state: 'st', scope: 'openid mcp:read', resources: [], authorizationDetails: null, nonce: null, codeChallenge: 'x'.repeat(43), codeChallengeMethod: 'S256', dpopJkt: null, pushed: false } as unknown as AuthorizationRequest;

export function completeForAlice(s: TokenServer, o: { consentId?: string | null; sessionIdHash?: string | null }): ReturnType<typeof completeAuthorization> {
  return completeAuthorization(s.ctx, { request, authentication: { userId: s.alice.id, authTime: s.ctx.now(), acr: '0', amr: ['pwd'], sessionIdHash: o.sessionIdHash ?? null }, consentId: o.consentId ?? null, ip: null });
}
