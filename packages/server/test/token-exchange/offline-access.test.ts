/**
 * OIDC Core §11 `offline_access` in a token exchange (RFC 8693 §2.2.1 refresh_token): the cases
 * the other suites leave open (refresh-chain.test.ts pins who gets a refresh token at all). The
 * rule is src/grants/token-exchange/offline.ts.
 */
import { describe, expect, it } from 'vitest';
import { InvalidScopeError } from '@mandate/protocol';
import { exchangeScope } from '../../src/grants/token-exchange/scope.ts';
import type { Backend } from '../helpers/test-server.ts';
import { accessTokenClaims, auditEvents, createCode, exchangeCode, postForm, SECRET } from '../token/fixtures.ts';
import { auth, exchange, exchangeConfig, EXCHANGE_CLIENTS, MCP, ORCHESTRATOR, TOKEN_EXCHANGE, TT, useExchangeServer, userToken } from './fixtures.ts';

/** orchestrator registered for refresh_token; `short` not (as in refresh-chain.test.ts). */
const CLIENTS = EXCHANGE_CLIENTS.map((c) => (c.client_id === 'orchestrator' ? { ...c, grant_types: [TOKEN_EXCHANGE, 'client_credentials', 'refresh_token'] } : c));
const SHORT = { client_id: 'short', client_secret: 'short-secret-0123456789-abcdefghijklmnopqrstu', token_endpoint_auth_method: 'client_secret_basic', grant_types: [TOKEN_EXCHANGE] };

function config() {
  const base = exchangeConfig();
  const resources = base.tokenExchange!.resources!.map((r) => (r.resource === ORCHESTRATOR ? { ...r, exchangers: [...(r.exchangers ?? []), 'short'] } : r));
  return { clients: [...CLIENTS, SHORT], tokenExchange: { ...base.tokenExchange, resources } };
}

describe('OIDC Core §11 offline_access is never an exchanged scope', () => {
  it('asked for alone, nothing is left: invalid_scope, whether or not the subject token carries it', () => {
    expect(() => exchangeScope('offline_access', [{ name: 'subject_token', scopes: new Set(['offline_access', 'mcp:read']) }])).toThrow(/No scope is left.*offline_access: exchanged tokens come without refresh tokens/);
    expect(() => exchangeScope('offline_access', [{ name: 'subject_token', scopes: new Set(['mcp:read']) }])).toThrow(/offline_access: not allowed by subject_token/);
    expect(() => exchangeScope('offline_access', [])).toThrow(InvalidScopeError);
  });

  it('scope omitted: dropped from "everything the bounds allow" without a note', () => {
    const d = exchangeScope(null, [{ name: 'subject_token', scopes: new Set(['offline_access', 'mcp:read']) }]);
    expect(d.scope).toBe('mcp:read');
    expect(d.narrowed).toEqual([]);
  });
});

describe.each<Backend>(['sqlite', 'postgres'])('RFC 8693 §2.2.1 refresh_token and offline_access (%s)', (backend) => {
  const h = useExchangeServer(backend, config);

  const lastExchangeReason = async () => (await auditEvents(h.server, 'token_exchanged')).slice(-1)[0]?.reason ?? null;
  const viaAgent = async (subject: string, form: Record<string, string> = {}) =>
    exchange(h.server, { subject_token: subject, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion(), actor_token_type: TT.jwt, resource: MCP, ...form }, auth.orchestrator);

  it('offline_access in the subject token but not asked for: no refresh token, never implied', async () => {
    const { token } = await userToken(h.server, { scope: 'openid offline_access mcp:read mcp:write' });
    expect(String(accessTokenClaims(token).scope).split(' ')).toContain('offline_access');
    for (const form of [{ scope: 'mcp:read' }, {}] as Record<string, string>[]) {
      const res = await viaAgent(token, form);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.refresh_token).toBeUndefined();
      expect(String(res.body.scope).split(' ')).not.toContain('offline_access');
      expect(await lastExchangeReason()).toBeNull();
    }
  });

  it('honoured: the other narrowing reasons stay in the audit, the offline_access ones go', async () => {
    const { token } = await userToken(h.server);
    const res = await viaAgent(token, { scope: 'mcp:read crm:write offline_access' });
    expect(typeof res.body.refresh_token).toBe('string');
    expect(res.body.scope).toBe('mcp:read');
    const reason = await lastExchangeReason();
    expect(reason).toMatch(/^scope narrowed: crm:write: not allowed by subject_token, /);
    expect(reason).not.toMatch(/offline_access/);
  });

  it('refused for the client: the refusal replaces the scope-time offline_access note', async () => {
    const { token } = await userToken(h.server);
    const res = await exchange(h.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: await h.agent.assertion(), actor_token_type: TT.jwt, resource: MCP, scope: 'mcp:read offline_access' }, { basic: ['short', SHORT.client_secret] });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toBeUndefined();
    expect(await lastExchangeReason()).toBe('scope narrowed: offline_access: no refresh token, the client is not registered for the refresh_token grant');
  });

  it('a service token rests on no user grant: no refresh token, and the audit says so', async () => {
    const cc = await postForm(h.server.tokenUrl, { grant_type: 'client_credentials', scope: 'mcp:read' }, auth.orchestrator);
    expect(cc.status).toBe(200);
    const res = await exchange(h.server, { subject_token: cc.body.access_token, subject_token_type: TT.accessToken, resource: MCP, scope: 'mcp:read offline_access' }, auth.orchestrator);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.refresh_token).toBeUndefined();
    expect(await lastExchangeReason()).toBe('scope narrowed: offline_access: no refresh token, the subject token rests on no user grant');
  });

  it('a root user grant without offline access: no refresh token, and the audit says so', async () => {
    const issued = await createCode(h.server.ctx, { clientId: 'no-refresh-app', userId: h.server.alice.id, scope: 'mcp:read mcp:write', resources: [ORCHESTRATOR] });
    const code = await exchangeCode(h.server, issued, {}, { basic: ['no-refresh-app', SECRET.web] });
    expect(code.status).toBe(200);
    const res = await viaAgent(code.body.access_token, { scope: 'mcp:read offline_access' });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toBeUndefined();
    expect(await lastExchangeReason()).toBe('scope narrowed: offline_access: no refresh token, the user grant at the root of the chain has no offline access');
  });
});
