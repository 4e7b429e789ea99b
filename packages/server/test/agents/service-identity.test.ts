/**
 * ID-3 service identities: a client with no user, narrow fixed scopes and short tokens. Its
 * max_token_ttl caps the client_credentials token lifetime (RFC 6749 §4.4.3 expires_in).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { MCP, postForm, SECRETS, startAgentServer, type AgentServer } from './support.ts';

let s: AgentServer;
beforeAll(async () => {
  s = await startAgentServer({ ttl: { clientCredentials: 600 } });
});
afterAll(() => s.close());

describe('ID-3 service identity token lifetime (RFC 6749 §4.4.3)', () => {
  it('a service identity gets tokens no longer than its max_token_ttl, others the server default', async () => {
    const service = await postForm(`${s.issuer}/token`, { grant_type: 'client_credentials', resource: MCP }, ['nightly-report', SECRETS.service]);
    expect(service.status).toBe(200);
    expect(service.json.expires_in).toBe(120);
    const claims = decodeJwt(service.json.access_token);
    expect(claims.exp! - claims.iat!).toBe(120);
    expect(claims).toMatchObject({ sub: 'nightly-report', scope: 'mcp:read' });
    expect(claims.agent_id).toBeUndefined();
    const plain = await postForm(`${s.issuer}/token`, { grant_type: 'client_credentials', resource: MCP }, ['resource-server', SECRETS.rs]);
    expect(plain.json.expires_in).toBe(600);
  });

  it('a service identity cannot obtain a scope outside its fixed set', async () => {
    const res = await postForm(`${s.issuer}/token`, { grant_type: 'client_credentials', scope: 'mcp:write' }, ['nightly-report', SECRETS.service]);
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_scope');
  });
});
