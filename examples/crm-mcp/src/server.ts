/**
 * The demo CRM MCP server. Its tools read the CRM REST API (examples/crm-api) with a token made for
 * that API by RFC 8693 token exchange (`ctx.downstreamToken`), cached per caller until shortly
 * before expiry; the caller's own token never leaves this server (PASS-1).
 */
import { createMandateMcp, createTokenExchanger, defineTool, DownstreamTokenError, type AuditSink, type MandateMcp, type MandateMcpOptions } from '@mandate/mcp';

export const CRM_SCOPES = ['crm:read'];

export interface CrmMcpOptions {
  issuer: string;
  /** This server's canonical URI, e.g. http://localhost:4411/mcp. */
  resource: string;
  /** The CRM API's canonical URI (its token audience), e.g. http://localhost:4412/api. */
  apiUrl: string;
  /** This MCP server's confidential client at the AS (token exchange). */
  credentials: { clientId: string; clientSecret: string };
  audit?: AuditSink;
  fetch?: MandateMcpOptions['fetch'];
}

export function createCrmMcp(options: CrmMcpOptions): MandateMcp {
  const downstream = createTokenExchanger({ issuer: options.issuer, credentials: options.credentials });
  const tools = [
    defineTool({
      name: 'list_accounts',
      description: 'Lists CRM accounts (read from the CRM API on your behalf).',
      policy: { requiredScopes: ['crm:read'] },
      handler: async (_args, ctx) => {
        let token: string;
        try {
          token = await ctx.downstreamToken(options.apiUrl, ['crm:read']);
        } catch (err) {
          const reason = err instanceof DownstreamTokenError ? `${err.error}: ${err.message}` : 'token exchange failed';
          return { content: [{ type: 'text', text: `The CRM API cannot be reached on your behalf (${reason}).` }], isError: true };
        }
        const res = await fetch(`${options.apiUrl}/accounts`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
        if (!res.ok) return { content: [{ type: 'text', text: `The CRM API answered ${res.status}.` }], isError: true };
        return { data: await res.json() };
      },
    }),
  ];
  return createMandateMcp({
    resource: options.resource,
    issuer: options.issuer,
    serverInfo: { name: 'mandate-demo-crm', version: '0.1.0' },
    tools,
    scopesSupported: CRM_SCOPES,
    hooks: { downstream, ...(options.audit ? { audit: options.audit } : {}) },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}
