/**
 * Static clients from configuration (`config.clients`), registered at every start (source 'static').
 * Each entry is RFC 7591 client metadata plus `client_id` and, for client_secret_basic/post,
 * `client_secret`. The secret is written in clear in the configuration (it has to come from
 * somewhere) but only its SHA-256 is stored.
 *
 * Upsert: a changed entry replaces the stored one; an id already taken by a client of another
 * source (admin, dcr) stops the start rather than silently taking it over.
 */
import { ConfigError } from '../config/load.ts';
import type { ServerContext } from '../context.ts';
import { sha256 } from '../crypto/hash.ts';
import type { ClientRecord } from '../storage/records.ts';
import { validateClientMetadata } from './metadata.ts';
import { toClientRecord, usesClientSecret } from './metadata-record.ts';

/** Configured secrets must be high-entropy: at least 32 characters (≈ 190 bits in base64url). */
export const MIN_CONFIGURED_SECRET_LENGTH = 32;

/** client_ids an operator may choose; URLs are reserved for Client ID Metadata Documents. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;

/** Builds the record for one configured client entry; throws ConfigError naming the entry and the rule. */
export function configuredClientRecord(entry: Record<string, unknown>, ctx: Pick<ServerContext, 'config' | 'now'>): ClientRecord {
  const { client_id: clientId, client_secret: secret, ...metadata } = entry;
  if (typeof clientId !== 'string' || !CLIENT_ID_PATTERN.test(clientId)) {
    throw new ConfigError(`Configured client ${JSON.stringify(clientId)}: client_id must be 1-128 characters of A-Z a-z 0-9 . _ ~ -.`);
  }
  let validated;
  try {
    validated = validateClientMetadata(metadata, {
      source: 'static',
      mode: ctx.config.mode,
      devAllowedHosts: ctx.config.cimd.devAllowedHosts,
      scopesSupported: ctx.config.scopesSupported,
    });
  } catch (err) {
    throw new ConfigError(`Configured client ${clientId}: ${(err as { description?: string }).description ?? String(err)}`);
  }
  const needsSecret = usesClientSecret(validated.tokenEndpointAuthMethod);
  if (needsSecret && (typeof secret !== 'string' || secret.length < MIN_CONFIGURED_SECRET_LENGTH)) {
    throw new ConfigError(`Configured client ${clientId}: ${validated.tokenEndpointAuthMethod} needs a client_secret of at least ${MIN_CONFIGURED_SECRET_LENGTH} characters.`);
  }
  if (!needsSecret && secret !== undefined) {
    throw new ConfigError(`Configured client ${clientId}: client_secret is only used with client_secret_basic or client_secret_post.`);
  }
  const t = ctx.now();
  return toClientRecord(validated, {
    clientId,
    clientSecretHash: needsSecret ? sha256(secret as string) : null,
    clientSecretExpiresAt: 0,
    registrationAccessTokenHash: null,
    source: 'static',
    createdAt: t,
    updatedAt: t,
  });
}

/** Creates or replaces a configured client, keeping its original creation time. */
export async function upsertConfiguredClient(ctx: Pick<ServerContext, 'config' | 'now' | 'storage'>, entry: Record<string, unknown>): Promise<ClientRecord> {
  const record = configuredClientRecord(entry, ctx);
  const existing = await ctx.storage.clients.get(record.clientId);
  if (!existing) {
    await ctx.storage.clients.create(record);
    return record;
  }
  if (existing.source !== 'static') {
    throw new ConfigError(`Configured client ${record.clientId} collides with an existing ${existing.source} client of the same client_id.`);
  }
  const replacement = { ...record, createdAt: existing.createdAt };
  if (sameRegistration(existing, replacement)) return existing;
  await ctx.storage.clients.update(replacement);
  return replacement;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
  );
}

/** Skips the write when nothing changed, so restarts do not churn the clients table. */
function sameRegistration(a: ClientRecord, b: ClientRecord): boolean {
  return JSON.stringify(canonical({ ...a, updatedAt: 0 })) === JSON.stringify(canonical({ ...b, updatedAt: 0 }));
}

export async function registerStaticClients(ctx: ServerContext): Promise<void> {
  for (const entry of ctx.config.clients) await upsertConfiguredClient(ctx, entry);
}
