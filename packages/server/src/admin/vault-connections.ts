/**
 * Admin API: token vault connections (issue 5, VA-1/VA-2) — the third-party OAuth providers
 * (endpoints, client credentials, scopes) and static-key providers users link accounts at.
 * The client secret is write-only: sealed on arrival (vault/envelope.ts), never returned.
 * Deleting a connection unlinks every account at it, revoking tokens at the provider (RFC 7009).
 * Every route works through the server's one vault (ctx.vault: its KEKs, its SSRF-safe provider
 * fetch, its single-flight refreshes) on the server's storage, so writes are not transactional:
 * each is one row (or, for deletes and rewraps, one row at a time), and the audit event follows.
 * POST /vault/rewrap re-wraps every sealed value with the current key-encryption key (rotation).
 * Users' static keys set by an admin: vault-static-keys.ts (appended to these routes).
 */
import { z } from 'zod';
import { InvalidRequestError, NotFoundError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import type { VaultProviderMetadata } from '../storage/records.ts';
import type { ConnectionView } from '../vault/connections.ts';
import { vaultCallbackUrl } from '../vault/link.ts';
import { defineRoute } from './route.ts';
import { clientIp } from '../http/client-ip.ts';
import { listOf, Pagination } from './schemas.ts';
import { ConnectionId, ConnectionIdParam, entryView, EntryViewSchema, epoch, mapped } from './vault-schemas.ts';
import { vaultStaticKeyRoutes } from './vault-static-keys.ts';

/** Provider endpoints are https; plain http only on loopback (development and tests). */
const endpoint = z
  .string()
  .max(2048)
  .url()
  // zod runs refinements even after .url() failed, so the parse is guarded here too.
  .refine((value) => {
    const url = URL.canParse(value) ? new URL(value) : null;
    return url !== null && (url.protocol === 'https:' || (url.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname)));
  }, 'must be an https URL (http only on loopback)');

const scopeToken = z.string().min(1).max(200).regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'not an RFC 6749 §3.3 scope token');

const Provider = z.object({
  authorization_endpoint: endpoint,
  token_endpoint: endpoint,
  revocation_endpoint: endpoint.nullable().default(null),
  client_id: z.string().min(1).max(2048),
  token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post', 'none']).default('client_secret_basic'),
  scopes: z.array(scopeToken).max(100).default([]),
  // RFC 9207: with the provider's issuer saved, an `iss` in its authorization response must equal it.
  issuer: endpoint.optional().describe("The provider's RFC 8414 issuer: an `iss` parameter in its authorization responses must equal it (RFC 9207)."),
  authorization_response_iss_parameter_supported: z.boolean().default(false).describe('The provider always sends `iss` (RFC 9207): a response without it is refused. Needs `issuer`.'),
});

const clientSecret = z.string().min(1).max(4096).describe('Write-only: stored sealed, never returned.');

// That an oauth connection has provider metadata, the secret its auth method needs, and what a
// static connection refuses are checked by the vault (connections.ts), for create and update alike.
const CreateBody = z.object({ id: ConnectionId, display_name: z.string().min(1).max(200), kind: z.enum(['oauth', 'static']), provider: Provider.optional(), client_secret: clientSecret.optional() });

const UpdateBody = z.object({ display_name: z.string().min(1).max(200).optional(), provider: Provider.optional(), client_secret: clientSecret.nullable().optional() });

const ProviderView = z.object({
  authorization_endpoint: z.string(),
  token_endpoint: z.string(),
  revocation_endpoint: z.string().nullable(),
  client_id: z.string(),
  token_endpoint_auth_method: z.string(),
  scopes: z.array(z.string()),
  issuer: z.string().nullable(),
  authorization_response_iss_parameter_supported: z.boolean(),
  redirect_uri: z.string().describe("The redirect URI to register for Mandate's client at the provider: one per connection (RFC 9700 §4.4.2 mix-up defence)."),
});

const ConnectionViewSchema = z.object({
  id: z.string(),
  kind: z.enum(['oauth', 'static']),
  display_name: z.string(),
  provider: ProviderView.nullable(),
  has_client_secret: z.boolean(),
  created_at: epoch,
  updated_at: epoch,
});

/** The schema admits http on loopback for development; a production server talks to providers over https only. */
function httpsInProduction(ctx: ServerContext, p: z.output<typeof Provider>): void {
  if (ctx.config.mode !== 'production') return;
  for (const url of [p.authorization_endpoint, p.token_endpoint, p.revocation_endpoint, p.issuer ?? null]) {
    if (url !== null && !url.startsWith('https://')) throw new InvalidRequestError('Provider endpoints must be https URLs in production.');
  }
}

function toMetadata(p: z.output<typeof Provider>): VaultProviderMetadata {
  return {
    authorizationEndpoint: p.authorization_endpoint,
    tokenEndpoint: p.token_endpoint,
    revocationEndpoint: p.revocation_endpoint,
    clientId: p.client_id,
    tokenEndpointAuthMethod: p.token_endpoint_auth_method,
    scopes: p.scopes,
    ...(p.issuer !== undefined ? { issuer: p.issuer } : {}),
    ...(p.authorization_response_iss_parameter_supported ? { authorizationResponseIssParameterSupported: true } : {}),
  };
}

function view(ctx: ServerContext, c: ConnectionView): z.output<typeof ConnectionViewSchema> {
  const p = c.provider;
  return {
    id: c.id,
    kind: c.kind,
    display_name: c.displayName,
    provider: p && { authorization_endpoint: p.authorizationEndpoint, token_endpoint: p.tokenEndpoint, revocation_endpoint: p.revocationEndpoint, client_id: p.clientId, token_endpoint_auth_method: p.tokenEndpointAuthMethod, scopes: p.scopes, issuer: p.issuer ?? null, authorization_response_iss_parameter_supported: p.authorizationResponseIssParameterSupported === true, redirect_uri: vaultCallbackUrl(ctx.config.issuer, c.id) },
    has_client_secret: c.hasClientSecret,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
}

async function found(ctx: ServerContext, id: string): Promise<ConnectionView> {
  const c = await ctx.vault.getConnection(id);
  if (!c) throw new NotFoundError(`No vault connection ${id}.`);
  return c;
}

export const vaultConnectionRoutes = [
  defineRoute({
    method: 'get',
    path: '/vault/connections',
    operationId: 'listVaultConnections',
    summary: 'List token vault connections.',
    tag: 'vault',
    query: Pagination,
    success: { status: 200, description: 'A page of connections.', schema: listOf(ConnectionViewSchema) },
    async handle({ ctx, query }) {
      return { items: (await ctx.vault.listConnections(query)).map((c) => view(ctx, c)) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/vault/connections',
    operationId: 'createVaultConnection',
    summary: 'Configure a third-party OAuth provider or a static-key provider.',
    tag: 'vault',
    body: CreateBody,
    success: { status: 201, description: 'The connection (without its client secret).', schema: ConnectionViewSchema },
    transactional: false, // ctx.vault writes through the server's storage: one row
    async handle({ ctx, body, auditData }) {
      auditData.connection_id = body.id;
      if (body.provider) httpsInProduction(ctx, body.provider);
      const input = { id: body.id, displayName: body.display_name, kind: body.kind, provider: body.provider ? toMetadata(body.provider) : null, clientSecret: body.client_secret ?? null };
      return view(ctx, await mapped(() => ctx.vault.createConnection(input)));
    },
  }),
  defineRoute({
    method: 'get',
    path: '/vault/connections/:connectionId',
    operationId: 'getVaultConnection',
    summary: 'Read one connection.',
    tag: 'vault',
    params: ConnectionIdParam,
    success: { status: 200, description: 'The connection.', schema: ConnectionViewSchema },
    errors: [404],
    async handle({ ctx, params }) {
      return view(ctx, await found(ctx, params.connectionId));
    },
  }),
  defineRoute({
    method: 'put',
    path: '/vault/connections/:connectionId',
    operationId: 'updateVaultConnection',
    summary: 'Change a connection: fields left out keep their value; client_secret null removes it.',
    tag: 'vault',
    params: ConnectionIdParam,
    body: UpdateBody,
    success: { status: 200, description: 'The connection.', schema: ConnectionViewSchema },
    errors: [404],
    transactional: false, // ctx.vault writes through the server's storage: one row
    async handle({ ctx, params, body, auditData }) {
      auditData.client_secret_changed = body.client_secret !== undefined;
      if (body.provider) httpsInProduction(ctx, body.provider);
      const change = {
        ...(body.display_name !== undefined ? { displayName: body.display_name } : {}),
        ...(body.provider !== undefined ? { provider: toMetadata(body.provider) } : {}),
        ...(body.client_secret !== undefined ? { clientSecret: body.client_secret } : {}),
      };
      return view(ctx, await mapped(() => ctx.vault.updateConnection(params.connectionId, change)));
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/vault/connections/:connectionId',
    operationId: 'deleteVaultConnection',
    summary: 'Delete a connection, unlinking every account at it (tokens revoked at the provider where it supports RFC 7009).',
    tag: 'vault',
    params: ConnectionIdParam,
    query: z.object({ force: z.enum(['true', 'false']).optional().describe('Delete even when some tokens could not be revoked at the provider (they are then forgotten, still live there).') }),
    success: { status: 200, description: 'How many accounts were unlinked.', schema: z.object({ unlinked: z.number().int(), revocation_failed: z.number().int() }) },
    errors: [400, 404],
    // Provider calls must not run inside a database transaction (they may take seconds); each entry's change stands alone.
    transactional: false,
    async handle({ ctx, params, query, auditData, c, admin }) {
      await found(ctx, params.connectionId);
      const result = await ctx.vault.deleteConnection(params.connectionId, { force: query.force === 'true' });
      const failed = { unlinked: result.unlinked, revocation_failed: result.revocationFailed, revocation_failed_entries: result.failedEntryIds };
      if (!result.deleted && result.failedEntryIds.length > 0) {
        // The refusal is audited here: the route audits successes only. Entry ids, never a token.
        await ctx.audit.record({ event: 'admin.deleteVaultConnection', userId: admin.userId, clientId: admin.clientId, ip: clientIp(c), result: 'failure', reason: 'revocation_failed', data: { jti: admin.jti, connectionId: params.connectionId, ...failed } });
        throw new InvalidRequestError(`${result.failedEntryIds.length} linked account(s) could not be revoked at the provider and are kept (revoked): delete again to retry, or with force=true to forget them.`);
      }
      Object.assign(auditData, failed);
      return { unlinked: result.unlinked, revocation_failed: result.revocationFailed };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/vault/connections/:connectionId/entries',
    operationId: 'listVaultEntries',
    summary: "Linked accounts at a connection: owner, status and last error (never a token).",
    tag: 'vault',
    params: ConnectionIdParam,
    query: Pagination,
    success: { status: 200, description: 'A page of entries.', schema: listOf(EntryViewSchema) },
    errors: [404],
    async handle({ ctx, params, query }) {
      await found(ctx, params.connectionId);
      return { items: (await ctx.storage.vault.entries.listForConnection(params.connectionId, query)).map(entryView) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/vault/rewrap',
    operationId: 'rewrapVault',
    summary: 'Key rotation: re-wrap every vault entry and connection credential with the current key-encryption key.',
    tag: 'vault',
    success: {
      status: 200,
      description: 'What was re-wrapped; retire the old key once a run reports nothing failed.',
      schema: z.object({
        rewrapped: z.number().int(),
        skipped: z.number().int().describe('Rows a concurrent write had already moved to the current key.'),
        failed: z.array(z.object({ kind: z.enum(['entry', 'connection']), id: z.string(), code: z.string() })).describe('Rows that could not be unwrapped (unknown key, corrupted, tampered); ids and error codes only.'),
        current_kek: z.string(),
      }),
    },
    // Row by row, each a compare-and-set, while the server keeps serving (vault/rotation.ts).
    transactional: false,
    async handle({ ctx, auditData }) {
      const report = await ctx.vault.rewrapAll();
      const currentKek = ctx.vault.currentKeyId;
      Object.assign(auditData, { rewrapped: report.rewrapped, skipped: report.skipped, failed: report.failed.length, current_kek: currentKek });
      return { ...report, current_kek: currentKek };
    },
  }),
  ...vaultStaticKeyRoutes,
];
