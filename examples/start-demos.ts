/**
 * Starts the demo servers next to the authorization server (`npm start`):
 *   HR MCP server   http://<host>:4410/mcp   (MANDATE_DEMO_HR_PORT)
 *   CRM MCP server  http://<host>:4411/mcp   (MANDATE_DEMO_CRM_PORT)
 *   CRM REST API    http://<host>:4412/api   (MANDATE_DEMO_CRM_API_PORT)
 * With `ctx` (the AS in the same process) it first registers what the demos need: their scopes,
 * resources, the MCP servers' confidential clients (audit ingest, token exchange), the token-exchange
 * policy of the CRM MCP server, and links the HR records to the AS users by email. Development only:
 * the demo client secrets below are public.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { createAuditSink, nodeMcpListener, type MandateAuditSink, type MandateMcp } from '@mandate/mcp';
import type { ServerContext } from '../packages/server/src/context.ts';
import { upsertConfiguredClient } from '../packages/server/src/clients/static.ts';
import { createHrMcp, HR_SCOPES } from './hr-mcp/src/server.ts';
import type { EmployeeStore } from './hr-mcp/src/data.ts';
import { demoEmployees } from './hr-mcp/src/data.ts';
import { createCrmMcp, CRM_SCOPES } from './crm-mcp/src/server.ts';
import { createCrmApi } from './crm-api/src/server.ts';

export const DEMO_CLIENTS = {
  hrMcp: { clientId: 'demo-hr-mcp', clientSecret: 'demo-hr-mcp-development-secret-0123456789' },
  crmMcp: { clientId: 'demo-crm-mcp', clientSecret: 'demo-crm-mcp-development-secret-0123456789' },
  /** A public MCP host (PKCE, loopback redirect) for the demo "Sales Assistant". */
  salesAssistant: { clientId: 'sales-assistant' },
  /** HR staff's own app, trusted (Cedar context.clientTrustLevel = "trusted"). */
  hrPortal: { clientId: 'hr-portal' },
} as const;

export const DEMO_PORTS = { hr: 4410, crm: 4411, crmApi: 4412 } as const;

export interface StartDemoOptions {
  issuer: string;
  ctx?: ServerContext;
  /** 0 = any free port. Defaults: env MANDATE_DEMO_*_PORT, else 4410 / 4411 / 4412. */
  ports?: Partial<Record<keyof typeof DEMO_PORTS, number>>;
  /** Address to listen on (default 127.0.0.1); URLs use the issuer's host name. */
  host?: string;
  /** Where the demo servers spool audit events while the AS is unreachable (default <dataDir>/demo-audit-spool). */
  spoolDir?: string;
}

export interface DemoServers {
  urls: { hr: string; crm: string; crmApi: string };
  hr: { mcp: MandateMcp; store: EmployeeStore; audit: MandateAuditSink };
  crm: { mcp: MandateMcp; audit: MandateAuditSink };
  close(): Promise<void>;
}

function envPort(name: string, fallback: number): number {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Number(v);
}

async function resolvePort(port: number, host: string): Promise<number> {
  if (port !== 0) return port;
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

export async function startDemoServers(options: StartDemoOptions): Promise<DemoServers> {
  const host = options.host ?? process.env.MANDATE_DEMO_HOST ?? '127.0.0.1';
  const ports = {
    hr: await resolvePort(options.ports?.hr ?? envPort('MANDATE_DEMO_HR_PORT', DEMO_PORTS.hr), host),
    crm: await resolvePort(options.ports?.crm ?? envPort('MANDATE_DEMO_CRM_PORT', DEMO_PORTS.crm), host),
    crmApi: await resolvePort(options.ports?.crmApi ?? envPort('MANDATE_DEMO_CRM_API_PORT', DEMO_PORTS.crmApi), host),
  };
  const base = new URL(options.issuer);
  const origin = (port: number) => `${base.protocol}//${base.hostname}:${port}`;
  const urls = { hr: `${origin(ports.hr)}/mcp`, crm: `${origin(ports.crm)}/mcp`, crmApi: `${origin(ports.crmApi)}/api` };

  const users = options.ctx ? await registerDemo(options.ctx, urls) : {};
  const spool = options.spoolDir ?? join(options.ctx?.config.dataDir ?? tmpdir(), 'demo-audit-spool');
  const ingest = `${options.issuer}/audit/events`;
  const hrAudit = createAuditSink({ endpoint: ingest, credentials: DEMO_CLIENTS.hrMcp, spoolDir: join(spool, 'hr') });
  const crmAudit = createAuditSink({ endpoint: ingest, credentials: DEMO_CLIENTS.crmMcp, spoolDir: join(spool, 'crm') });

  const hr = createHrMcp({ issuer: options.issuer, resource: urls.hr, users, audit: hrAudit, clientTrust: (clientId) => (clientId === DEMO_CLIENTS.hrPortal.clientId ? 'trusted' : 'standard') });
  const crm = createCrmMcp({ issuer: options.issuer, resource: urls.crm, apiUrl: urls.crmApi, credentials: DEMO_CLIENTS.crmMcp, audit: crmAudit });
  const api = createCrmApi({ issuer: options.issuer, audience: urls.crmApi });

  const servers: Server[] = [createHttpServer(nodeMcpListener(hr.mcp)), createHttpServer(nodeMcpListener(crm)), createAdaptorServer({ fetch: api.fetch }) as Server];
  const started: Server[] = [];
  try {
    for (const [i, port] of [ports.hr, ports.crm, ports.crmApi].entries()) {
      await listen(servers[i] as Server, port, host);
      started.push(servers[i] as Server);
    }
  } catch (err) {
    await Promise.all(started.map((s) => new Promise<void>((r) => s.close(() => r()))));
    throw err;
  }

  return {
    urls,
    hr: { mcp: hr.mcp, store: hr.store, audit: hrAudit },
    crm: { mcp: crm, audit: crmAudit },
    async close() {
      for (const s of started) {
        s.closeAllConnections?.();
        await new Promise<void>((r) => s.close(() => r()));
      }
      await Promise.all([hrAudit.close(), crmAudit.close(), hr.mcp.close(), crm.close()]);
    },
  };
}

/** Registers the demo's scopes, resources, clients and exchange policy in the AS; returns email -> user id. */
async function registerDemo(ctx: ServerContext, urls: DemoServers['urls']): Promise<Record<string, string>> {
  const config = ctx.config;
  // The configuration object is read per request: the demo scopes and resources are added in place.
  // mandate:audit is a client permission for audit ingest, never a token scope: not advertised.
  for (const s of [...HR_SCOPES, ...CRM_SCOPES]) if (!config.scopesSupported.includes(s)) config.scopesSupported.push(s);
  if (config.resources.length > 0) for (const r of Object.values(urls)) if (!config.resources.includes(r)) config.resources.push(r);
  const exchange = config.tokenExchange.resources;
  if (!exchange.some((r) => r.resource === urls.crm)) exchange.push({ resource: urls.crm, exchangers: [DEMO_CLIENTS.crmMcp.clientId] });

  await upsertConfiguredClient(ctx, {
    client_id: DEMO_CLIENTS.hrMcp.clientId,
    client_secret: DEMO_CLIENTS.hrMcp.clientSecret,
    client_name: 'Demo HR MCP server',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    scope: 'mandate:audit',
  });
  await upsertConfiguredClient(ctx, {
    client_id: DEMO_CLIENTS.crmMcp.clientId,
    client_secret: DEMO_CLIENTS.crmMcp.clientSecret,
    client_name: 'Demo CRM MCP server',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'],
    redirect_uris: [],
    scope: 'crm:read mandate:audit',
  });
  await upsertConfiguredClient(ctx, {
    client_id: DEMO_CLIENTS.salesAssistant.clientId,
    client_name: 'Sales Assistant',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
    scope: 'openid profile hr:read hr:write crm:read',
  });

  await upsertConfiguredClient(ctx, {
    client_id: DEMO_CLIENTS.hrPortal.clientId,
    client_name: 'HR Portal',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
    scope: 'openid profile hr:read hr:write',
  });

  const users: Record<string, string> = {};
  for (const e of demoEmployees()) {
    const user = await ctx.storage.users.getByEmail(e.email);
    if (user) users[e.email] = user.id;
  }
  return users;
}
