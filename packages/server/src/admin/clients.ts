/**
 * Admin API: clients. Admin-registered clients have source 'admin'; static clients belong to the
 * configuration (edited there, re-applied at start) and are read-only here. Client ID Metadata
 * Document clients are not stored, so they are not listed.
 */
import { z } from 'zod';
import { InvalidClientMetadataError, InvalidRedirectUriError, InvalidRequestError, NotFoundError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { randomToken, sha256 } from '../crypto/hash.ts';
import type { ClientRecord } from '../storage/records.ts';
import { ClientMetadataSchema, validateClientMetadata } from '../clients/metadata.ts';
import { clientMetadataJson, replacedClientRecord, toClientRecord, usesClientSecret } from '../clients/metadata-record.ts';
import { CLIENT_ID_PATTERN } from '../clients/static.ts';
import { deleteClient } from '../clients/lifecycle.ts';
import { isUniqueViolation } from '../storage/unique-violation.ts';
import { defineRoute } from './route.ts';
import { ClientView, ClientWithSecret, listOf, Pagination } from './schemas.ts';

const ClientIdParam = z.object({ clientId: z.string().min(1).max(2048) });
const CreateClientBody = ClientMetadataSchema.extend({
  client_id: z.string().regex(CLIENT_ID_PATTERN, 'client_id must be 1-128 characters of A-Z a-z 0-9 . _ ~ -').optional(),
});
const SecretView = z.object({ client_id: z.string(), client_secret: z.string(), client_secret_expires_at: z.number().int() });

const metadataError = (message: string) =>
  message.startsWith('Invalid body.redirect_uris') ? new InvalidRedirectUriError(message) : new InvalidClientMetadataError(message);

const duplicateClientId = (clientId: string) => new InvalidRequestError(`A client with the client_id ${clientId} already exists.`);

/**
 * A concurrent create may insert the same client_id between the check and this insert: the
 * primary key refuses it, answered as the check answers (not a 500 logging the driver's error).
 */
async function insertClient(ctx: ServerContext, client: ClientRecord): Promise<void> {
  try {
    await ctx.storage.clients.create(client);
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateClientId(client.clientId);
    throw err;
  }
}

export function clientView(client: ClientRecord, secret?: string | null): z.output<typeof ClientWithSecret> {
  return { ...clientMetadataJson(client), source: client.source, updated_at: client.updatedAt, ...(secret ? { client_secret: secret } : {}) } as z.output<typeof ClientWithSecret>;
}

function validate(ctx: ServerContext, body: Record<string, unknown>) {
  return validateClientMetadata(body, {
    source: 'admin',
    mode: ctx.config.mode,
    devAllowedHosts: ctx.config.cimd.devAllowedHosts,
    scopesSupported: ctx.config.scopesSupported,
  });
}

/**
 * For the write routes only: the row read `for update` (clients.getForUpdate) in the route's
 * transaction, because clients.update writes the whole row back — registrationAccessTokenHash
 * included. Read without the lock, an RFC 7592 PUT committing in between would be undone: its
 * rotated-away token working again, its new one refused, its metadata lost.
 */
async function editableClient(ctx: ServerContext, clientId: string): Promise<ClientRecord> {
  const client = await ctx.storage.clients.getForUpdate(clientId);
  if (!client) throw new NotFoundError(`No client ${clientId}.`);
  if (client.source === 'static') throw new InvalidRequestError(`The client ${clientId} comes from the server configuration; change it there.`);
  return client;
}

export const clientRoutes = [
  defineRoute({
    method: 'get',
    path: '/clients',
    operationId: 'listClients',
    summary: 'List registered clients (static, admin and dynamically registered).',
    tag: 'clients',
    query: Pagination,
    success: { status: 200, description: 'A page of clients.', schema: listOf(ClientView) },
    async handle({ ctx, query }) {
      const clients = await ctx.storage.clients.list({ limit: query.limit, offset: query.offset });
      return { items: clients.map((client) => clientView(client)) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/clients',
    operationId: 'createClient',
    summary: 'Register a client. A generated client_secret is returned once, for secret-based authentication methods.',
    tag: 'clients',
    body: CreateClientBody,
    invalidBody: metadataError,
    success: { status: 201, description: 'The client, with its secret when one was issued.', schema: ClientWithSecret },
    async handle({ ctx, body, auditData }) {
      const { client_id: requestedId, ...metadata } = body;
      const validated = validate(ctx, metadata);
      const clientId = requestedId ?? `adm_${randomToken(16)}`;
      if (await ctx.storage.clients.get(clientId)) throw duplicateClientId(clientId);
      const secret = usesClientSecret(validated.tokenEndpointAuthMethod) ? randomToken(32) : null;
      const t = ctx.now();
      const client = toClientRecord(validated, {
        clientId,
        clientSecretHash: secret ? sha256(secret) : null,
        clientSecretExpiresAt: 0,
        registrationAccessTokenHash: null,
        source: 'admin',
        createdAt: t,
        updatedAt: t,
      });
      await insertClient(ctx, client);
      auditData.client_id = clientId;
      return clientView(client, secret);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/clients/:clientId',
    operationId: 'getClient',
    summary: 'Read one client.',
    tag: 'clients',
    params: ClientIdParam,
    success: { status: 200, description: 'The client.', schema: ClientView },
    errors: [404],
    async handle({ ctx, params }) {
      const client = await ctx.storage.clients.get(params.clientId);
      if (!client) throw new NotFoundError(`No client ${params.clientId}.`);
      return clientView(client);
    },
  }),
  defineRoute({
    method: 'put',
    path: '/clients/:clientId',
    operationId: 'updateClient',
    summary: 'Replace a client\'s metadata. Moving to a secret-based method issues a secret (returned once); moving away removes it.',
    tag: 'clients',
    params: ClientIdParam,
    body: ClientMetadataSchema,
    invalidBody: metadataError,
    success: { status: 200, description: 'The updated client, with its secret when one was issued.', schema: ClientWithSecret },
    errors: [404],
    async handle({ ctx, params, body }) {
      const current = await editableClient(ctx, params.clientId);
      const { client, secret } = replacedClientRecord(current, validate(ctx, body), ctx.now());
      await ctx.storage.clients.update(client);
      return clientView(client, secret);
    },
  }),
  defineRoute({
    method: 'post',
    path: '/clients/:clientId/secret',
    operationId: 'rotateClientSecret',
    summary: 'Issue a new client_secret (returned once); the old one stops working immediately.',
    tag: 'clients',
    params: ClientIdParam,
    success: { status: 200, description: 'The new secret.', schema: SecretView },
    errors: [404],
    async handle({ ctx, params }) {
      const current = await editableClient(ctx, params.clientId);
      if (!usesClientSecret(current.tokenEndpointAuthMethod)) {
        throw new InvalidRequestError(`The client authenticates with ${current.tokenEndpointAuthMethod}; it has no secret to rotate.`);
      }
      const secret = randomToken(32);
      await ctx.storage.clients.update({ ...current, clientSecretHash: sha256(secret), clientSecretExpiresAt: 0, updatedAt: ctx.now() });
      return { client_id: current.clientId, client_secret: secret, client_secret_expires_at: 0 };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/clients/:clientId',
    operationId: 'deleteClient',
    summary: 'Delete a client and revoke every grant and token issued to it (RFC 7592 §2.3 semantics).',
    tag: 'clients',
    params: ClientIdParam,
    success: { status: 204, description: 'Deleted.' },
    errors: [404],
    retryOnDeadlock: true, // against a deprovisioning (clients/lifecycle.ts); writes through ctx only
    async handle({ ctx, params }) {
      await editableClient(ctx, params.clientId);
      await deleteClient(ctx, params.clientId, 'client deleted by an administrator');
      return null;
    },
  }),
];
