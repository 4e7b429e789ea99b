/**
 * RFC 9728 protected-resource metadata and the 401 challenge that points at it (PRM-1, PRM-2,
 * SCOPE-1, ERR-1), through the Hono adapter, against a real Mandate authorization server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import type { TokenServer } from '../../server/test/token/fixtures.ts';
import { INITIALIZE, rpc, startAs, startMcp, type RunningMcp } from './support/setup.ts';

let as: TokenServer;
let rs: RunningMcp;

beforeAll(async () => {
  as = await startAs();
  rs = await startMcp(as, 'hono', { scopesSupported: ['hr:read', 'hr:write', 'offline_access'] });
});
afterAll(async () => {
  await rs?.close();
  await as?.close();
});

describe('RFC 9728 §3 protected resource metadata at the path-inserted well-known URL', () => {
  it('serves the document with resource, authorization_servers, scopes and header-only bearer use', async () => {
    const res = await fetch(`${rs.origin}/.well-known/oauth-protected-resource/mcp`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const doc = await res.json();
    expect(doc).toEqual({
      resource: rs.url,
      authorization_servers: [as.issuer],
      scopes_supported: ['hr:read', 'hr:write'],
      bearer_methods_supported: ['header'],
      resource_name: 'hr-test',
    });
  });

  it('is what oauth4webapi resourceDiscoveryRequest / processResourceDiscoveryResponse accept', async () => {
    const resource = new URL(rs.url);
    const response = await oauth.resourceDiscoveryRequest(resource, { [oauth.allowInsecureRequests]: true });
    const doc = await oauth.processResourceDiscoveryResponse(resource, response);
    expect(doc.resource).toBe(rs.url);
    expect(doc.authorization_servers).toEqual([as.issuer]);
  });

  it('never advertises offline_access (SCOPE-1)', async () => {
    const doc = await (await fetch(rs.mcp.metadataUrl)).json();
    expect(doc.scopes_supported).not.toContain('offline_access');
  });

  it('answers 405 to other methods on the metadata URL', async () => {
    const res = await fetch(rs.mcp.metadataUrl, { method: 'POST' });
    expect(res.status).toBe(405);
  });
});

describe('RFC 6750 §3 / RFC 9728 §5.1 the 401 challenge without a token', () => {
  it('is 401 with Bearer resource_metadata and scope, and no error code', async () => {
    const res = await rpc(rs.url, INITIALIZE);
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate');
    expect(challenge).toBe(`Bearer scope="hr:read hr:write", resource_metadata="${rs.origin}/.well-known/oauth-protected-resource/mcp"`);
    expect(challenge).not.toContain('error=');
  });

  it('the MCP SDK client parses the challenge: resource_metadata and scope', async () => {
    const res = await fetch(rs.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(INITIALIZE) });
    const params = extractWWWAuthenticateParams(res);
    expect(params.resourceMetadataUrl?.href).toBe(rs.mcp.metadataUrl);
    expect(params.scope).toBe('hr:read hr:write');
  });
});

describe('RFC 9449 §5.1 / RFC 9728 §2 DPoP metadata when configured', () => {
  it('adds dpop_signing_alg_values_supported and dpop_bound_access_tokens_required, and the DPoP scheme', async () => {
    const dpopRs = await startMcp(as, 'hono', { dpop: { required: true, algs: ['ES256'] } });
    try {
      const doc = await (await fetch(dpopRs.mcp.metadataUrl)).json();
      expect(doc.dpop_signing_alg_values_supported).toEqual(['ES256']);
      expect(doc.dpop_bound_access_tokens_required).toBe(true);
      const res = await rpc(dpopRs.url, INITIALIZE);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^DPoP scope="[^"]+", resource_metadata="[^"]+", algs="ES256"$/);
    } finally {
      await dpopRs.close();
    }
  });
});
