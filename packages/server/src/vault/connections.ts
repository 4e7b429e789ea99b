/**
 * Connections (issue 5): the admin-configured third-party providers the vault links accounts
 * at. The public view never carries the client secret, only whether one is set.
 *
 * Integrity of the provider metadata: the endpoints, client id, authentication method and
 * scopes are stored in the clear (admins and the account page show them), so an attacker who
 * can write the database but holds no key could point the token or revocation endpoint at
 * themselves and collect refresh tokens and the client secret at the next refresh or unlink.
 * Every OAuth connection therefore has a sealed *client credential* — the client secret, or the
 * empty string for a public client — whose associated data carries a digest of that metadata.
 * `providerClientFor` and `verifiedProvider` open it with the digest of the metadata as stored
 * now: a changed endpoint fails GCM authentication and nothing is sent. Admin updates re-seal.
 */
import { createHash } from 'node:crypto';
import type { Storage } from '../storage/storage.ts';
import type { VaultConnectionRecord, VaultProviderMetadata } from '../storage/records.ts';
import type { KeyEncryptionKeys } from './kek.ts';
import { open, seal, sealedPlaintextLength, type Binding } from './envelope.ts';
import { VaultConflictError, VaultConnectionIntegrityError, VaultDecryptError, VaultInvalidConnectionError, VaultNotFoundError } from './errors.ts';
import type { Fetch, ProviderClient } from './provider-client.ts';

export interface ConnectionInput {
  id: string;
  displayName: string;
  kind: 'oauth' | 'static';
  provider?: VaultProviderMetadata | null;
  clientSecret?: string | null;
}

/** What admin APIs and users see of a connection. */
export interface ConnectionView {
  id: string;
  kind: 'oauth' | 'static';
  displayName: string;
  provider: VaultProviderMetadata | null;
  hasClientSecret: boolean;
  createdAt: number;
  updatedAt: number;
}

/**
 * SHA-256 of the metadata as a JSON array in a fixed order: no key order or separator an admin
 * could vary, and every field that decides where a secret goes or what is asked for.
 */
export function providerDigest(p: VaultProviderMetadata): string {
  const canonical: unknown[] = [p.authorizationEndpoint, p.tokenEndpoint, p.revocationEndpoint, p.clientId, p.tokenEndpointAuthMethod, p.scopes];
  // The RFC 9207 settings only when configured, so connections saved before them keep their digest (and seal).
  // Bound like the rest: removing or changing them in the database (to skip the iss check) fails the integrity check.
  if (p.issuer !== undefined || p.authorizationResponseIssParameterSupported !== undefined) canonical.push(p.issuer ?? null, p.authorizationResponseIssParameterSupported ?? false);
  return createHash('sha256').update(JSON.stringify(canonical), 'utf8').digest('base64url');
}

/** The binding of a connection's client credential: its id and its provider metadata. */
export function connectionBinding(c: Pick<VaultConnectionRecord, 'id' | 'provider'>): Binding {
  if (c.provider === null) throw new VaultConnectionIntegrityError(c.id);
  return { kind: 'connection-secret', connectionId: c.id, providerDigest: providerDigest(c.provider) };
}

export function connectionView(r: VaultConnectionRecord): ConnectionView {
  // An empty sealed credential is a public client; the length is readable without the key (GCM keeps it).
  const hasClientSecret = r.clientSecret !== null && sealedPlaintextLength(r.clientSecret) > 0;
  return { id: r.id, kind: r.kind, displayName: r.displayName, provider: r.provider, hasClientSecret, createdAt: r.createdAt, updatedAt: r.updatedAt };
}

/**
 * client_secret_basic and client_secret_post authenticate with the secret: without one
 * provider-client.ts would send no client authentication at all, so every code exchange,
 * refresh and revocation would fail at the provider. '' is how a public client is stored.
 */
function requireSecretForAuthMethod(id: string, provider: VaultProviderMetadata, secret: string): void {
  if (provider.tokenEndpointAuthMethod !== 'none' && secret === '') {
    throw new VaultInvalidConnectionError(`Connection ${id} uses token_endpoint_auth_method ${provider.tokenEndpointAuthMethod}, which needs a client secret: give client_secret, or set token_endpoint_auth_method to none.`);
  }
}

/**
 * RFC 9207 compares `iss` with the issuer as a string, so it must be one (RFC 8414 §2: a URL with
 * no query or fragment); requiring `iss` without an issuer to compare it with would refuse every link.
 */
function checkIssuerSettings(id: string, provider: VaultProviderMetadata): void {
  const { issuer } = provider;
  if (issuer !== undefined && (!URL.canParse(issuer) || issuer.includes('?') || issuer.includes('#'))) {
    throw new VaultInvalidConnectionError(`Connection ${id}: issuer must be the provider's issuer URL (RFC 8414), without query or fragment.`);
  }
  if (provider.authorizationResponseIssParameterSupported === true && issuer === undefined) {
    throw new VaultInvalidConnectionError(`Connection ${id}: authorization_response_iss_parameter_supported needs the provider's issuer.`);
  }
}

/** A static-key connection has no provider to talk to: metadata or a secret given for it would be dropped unseen. */
function refuseProviderFieldsOnStatic(id: string, fields: { provider?: VaultProviderMetadata | null; clientSecret?: string | null }): void {
  const given = [fields.provider != null ? 'provider' : null, fields.clientSecret != null ? 'client_secret' : null].filter((f) => f !== null);
  if (given.length > 0) throw new VaultInvalidConnectionError(`Connection ${id} is a static-key connection: it takes no ${given.join(' or ')}.`);
}

export async function createConnection(storage: Storage, keys: KeyEncryptionKeys, input: ConnectionInput, now: number): Promise<ConnectionView> {
  if (input.kind === 'static') refuseProviderFieldsOnStatic(input.id, input);
  const provider = input.kind === 'oauth' ? (input.provider ?? null) : null;
  if (input.kind === 'oauth' && provider === null) throw new VaultInvalidConnectionError(`Connection ${input.id} is an oauth connection: it needs provider metadata.`);
  if (provider !== null) {
    checkIssuerSettings(input.id, provider);
    requireSecretForAuthMethod(input.id, provider, input.clientSecret ?? '');
  }
  const credential = provider !== null ? await seal(keys, connectionBinding({ id: input.id, provider }), input.clientSecret ?? '') : null;
  const record: VaultConnectionRecord = { id: input.id, kind: input.kind, displayName: input.displayName, provider, clientSecret: credential, createdAt: now, updatedAt: now };
  if (await storage.vault.connections.get(input.id)) throw new VaultConflictError(`Connection ${input.id} already exists.`);
  try {
    await storage.vault.connections.create(record);
  } catch (err) {
    // Lost a race with another create of the same id (primary key); any other failure is not ours to rename.
    if (await storage.vault.connections.get(input.id)) throw new VaultConflictError(`Connection ${input.id} already exists.`);
    throw err;
  }
  return connectionView(record);
}

/** The client secret ('' for none) after checking the stored metadata against its seal. */
async function openCredential(connection: VaultConnectionRecord, keys: KeyEncryptionKeys): Promise<string> {
  if (connection.kind !== 'oauth' || connection.provider === null) throw new VaultNotFoundError(`Connection ${connection.id} is not an OAuth connection.`);
  // An OAuth connection without its sealed credential has lost its binding: as suspect as a changed endpoint.
  if (connection.clientSecret === null) throw new VaultConnectionIntegrityError(connection.id);
  try {
    return await open(keys, connectionBinding(connection), connection.clientSecret);
  } catch (err) {
    if (err instanceof VaultDecryptError) throw new VaultConnectionIntegrityError(connection.id);
    throw err; // an unknown KEK is a key-management fault, not tampering
  }
}

/**
 * Changes display name, provider metadata and (when given) the client secret. `clientSecret`
 * undefined keeps the stored one; null removes it. The credential is re-sealed whenever the
 * metadata or the secret changes, so it is always bound to the metadata saved with it. Carrying
 * anything stored over (the secret, or the metadata when only the secret changes) first passes
 * the integrity check: a connection whose row was rewritten is restored only by giving both the
 * provider metadata and the client secret again. The result must be usable: an auth method other
 * than none keeps a non-empty secret, and a static-key connection takes no metadata or secret.
 */
export async function updateConnection(
  storage: Storage,
  keys: KeyEncryptionKeys,
  id: string,
  change: { displayName?: string; provider?: VaultProviderMetadata; clientSecret?: string | null },
  now: number,
): Promise<ConnectionView> {
  const current = await storage.vault.connections.get(id);
  if (!current) throw new VaultNotFoundError(`Connection ${id} does not exist.`);
  if (current.kind === 'static') refuseProviderFieldsOnStatic(id, change);
  const provider = current.kind === 'oauth' ? (change.provider ?? current.provider) : null;
  let credential = current.kind === 'oauth' ? current.clientSecret : null;
  if (change.provider !== undefined && provider !== null) checkIssuerSettings(id, provider);
  if (provider !== null && (change.provider !== undefined || change.clientSecret !== undefined)) {
    // Opened (so verified) whenever stored state is carried over: a new secret alone must not bless rewritten metadata.
    const stored = change.provider === undefined || change.clientSecret === undefined ? await openCredential(current, keys) : '';
    const secret = change.clientSecret === undefined ? stored : (change.clientSecret ?? '');
    // Checked against the result: removing the secret, or switching to basic/post while none is stored, both land here.
    requireSecretForAuthMethod(id, provider, secret);
    credential = await seal(keys, connectionBinding({ id, provider }), secret);
  }
  const next: VaultConnectionRecord = { ...current, displayName: change.displayName ?? current.displayName, provider, clientSecret: credential, updatedAt: now };
  if (!(await storage.vault.connections.update(next))) throw new VaultNotFoundError(`Connection ${id} does not exist.`);
  return connectionView(next);
}

/** The provider metadata after its integrity check: what beginLink may send the user's browser to. */
export async function verifiedProvider(connection: VaultConnectionRecord, keys: KeyEncryptionKeys): Promise<VaultProviderMetadata> {
  await openCredential(connection, keys);
  return connection.provider!; // openCredential refused a connection without one
}

/**
 * The connection's provider client with its metadata verified and its secret opened; only for
 * the duration of one provider call. Every outbound request that carries a secret or a token
 * (code exchange, refresh, revocation) is built here.
 */
export async function providerClientFor(connection: VaultConnectionRecord, keys: KeyEncryptionKeys, fetchImpl: Fetch): Promise<ProviderClient> {
  const secret = await openCredential(connection, keys);
  return { metadata: connection.provider!, clientSecret: secret === '' ? null : secret, fetch: fetchImpl };
}
