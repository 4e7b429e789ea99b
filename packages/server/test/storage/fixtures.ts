/**
 * Shared set-up for the storage contract suite: every test gets its own database (a fresh
 * SQLite file or a fresh PostgreSQL schema, dropped afterwards) and valid records to store.
 */
import { afterEach, beforeEach } from 'vitest';
import pg from 'pg';
import { openStorage } from '../../src/storage/open.ts';
import { parsePostgresUrl } from '../../src/storage/postgres.ts';
import type { Storage } from '../../src/storage/storage.ts';
import type {
  AccessTokenRecord,
  AgentRecord,
  AuthorizationCodeRecord,
  ClientRecord,
  ConsentRecord,
  GrantRecord,
  RefreshTokenRecord,
  SessionRecord,
  UserRecord,
} from '../../src/storage/records.ts';
import { isolatedDatabaseUrl, type Backend } from '../helpers/isolated-database.ts';

export const BACKENDS: Backend[] = ['sqlite', 'postgres'];

export interface StorageHandle {
  storage: Storage;
  url: string;
  /** Runs one SQL statement directly on the database, bypassing Storage (tamper tests, row counts). */
  raw(statement: string): Promise<Record<string, unknown>[]>;
}

async function runRaw(backend: Backend, url: string, statement: string): Promise<Record<string, unknown>[]> {
  if (backend === 'postgres') {
    const { connectionString, schema } = parsePostgresUrl(url);
    const client = new pg.Client({ connectionString, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      return (await client.query(statement)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  }
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(url);
  try {
    const stmt = db.prepare(statement);
    if (stmt.reader) return stmt.all() as Record<string, unknown>[];
    stmt.run();
    return [];
  } finally {
    db.close();
  }
}

/** Opens and migrates an isolated database before each test; closes and removes it after. */
export function useStorage(backend: Backend): StorageHandle {
  const handle = {} as StorageHandle;
  let cleanup = async (): Promise<void> => undefined;
  beforeEach(async () => {
    const db = isolatedDatabaseUrl(backend);
    cleanup = db.cleanup;
    handle.url = db.url;
    handle.storage = await openStorage(db.url);
    await handle.storage.migrate();
    handle.raw = (statement) => runRaw(backend, db.url, statement);
  });
  afterEach(async () => {
    await handle.storage.close();
    await cleanup();
  });
  return handle;
}

export function client(overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    clientId: 'client-1',
    clientSecretHash: 'c2VjcmV0LWhhc2g',
    clientSecretExpiresAt: 0,
    clientName: 'Demo “client” ✓',
    redirectUris: ['https://app.example/cb', 'http://127.0.0.1/cb'],
    grantTypes: ['authorization_code', 'refresh_token'],
    responseTypes: ['code'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' }] },
    jwksUri: null,
    scope: 'openid profile',
    applicationType: 'web',
    softwareId: null,
    softwareVersion: '1.0',
    requirePar: true,
    dpopBoundAccessTokens: false,
    registrationAccessTokenHash: null,
    source: 'dcr',
    metadata: { logo_uri: 'https://app.example/logo.png', contacts: ['a@example.com'], nested: { n: null, t: true } },
    createdAt: 1_700_000_000,
    updatedAt: 1_700_000_000,
    ...overrides,
  };
}

export function user(overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    id: 'usr_alice',
    email: 'Alice@Example.COM',
    name: 'Alice',
    passwordHash: 'scrypt$N=16384,r=8,p=1$salt$hash',
    totpSecretEncrypted: null,
    isAdmin: false,
    disabled: false,
    createdAt: 1_700_000_000,
    updatedAt: 1_700_000_000,
    ...overrides,
  };
}

export function grant(overrides: Partial<GrantRecord> = {}): GrantRecord {
  return {
    id: 'grt_root',
    userId: 'usr_alice',
    clientId: 'client-1',
    agentId: null,
    parentGrantId: null,
    scope: 'openid files:read',
    resources: ['https://mcp.example/'],
    authorizationDetails: [{ type: 'payment_initiation', amount: { currency: 'EUR', value: '10.00' } }],
    consentId: null,
    createdAt: 1_700_000_000,
    revokedAt: null,
    revokedReason: null,
    ...overrides,
  };
}

export function code(overrides: Partial<AuthorizationCodeRecord> = {}): AuthorizationCodeRecord {
  return {
    codeHash: 'code-hash-1',
    grantId: 'grt_root',
    clientId: 'client-1',
    userId: 'usr_alice',
    redirectUri: 'https://app.example/cb',
    redirectUriSent: true,
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    codeChallengeMethod: 'S256',
    scope: 'openid files:read',
    resources: ['https://mcp.example/'],
    authorizationDetails: null,
    nonce: 'n-0S6_WzA2Mj',
    authTime: 1_700_000_000,
    acr: 'urn:mandate:acr:mfa',
    amr: ['pwd', 'otp'],
    dpopJkt: null,
    sessionIdHash: 'session-hash',
    createdAt: 1_700_000_000,
    expiresAt: 1_700_000_060,
    consumedAt: null,
    ...overrides,
  };
}

export function refreshToken(overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  return {
    tokenHash: 'rt-hash-1',
    id: 'rt_1',
    grantId: 'grt_root',
    clientId: 'client-1',
    userId: 'usr_alice',
    scope: 'openid files:read',
    resources: ['https://mcp.example/'],
    authorizationDetails: null,
    dpopJkt: 'jkt-thumbprint',
    authTime: 1_700_000_000,
    acr: null,
    amr: ['pwd'],
    nonce: null,
    createdAt: 1_700_000_000,
    expiresAt: 1_700_086_400,
    rotatedAt: null,
    revokedAt: null,
    ...overrides,
  };
}

export function accessToken(overrides: Partial<AccessTokenRecord> = {}): AccessTokenRecord {
  return {
    jti: 'at_1',
    grantId: 'grt_root',
    clientId: 'client-1',
    userId: 'usr_alice',
    scope: 'files:read',
    expiresAt: 1_700_000_900,
    createdAt: 1_700_000_000,
    revokedAt: null,
    ...overrides,
  };
}

/** A login session of usr_alice (created 1_700_000_000), for the retention tests. */
export function session(idHash: string, expiresAt: number, revokedAt: number | null = null): SessionRecord {
  return { idHash, userId: 'usr_alice', authTime: 1_700_000_000, acr: 'urn:mandate:acr:mfa', amr: ['pwd', 'otp'], createdAt: 1_700_000_000, expiresAt, revokedAt };
}

export function consent(overrides: Partial<ConsentRecord> = {}): ConsentRecord {
  return {
    id: 'cns_1',
    userId: 'usr_alice',
    clientId: 'client-1',
    scope: 'openid files:read',
    resources: ['https://mcp.example/'],
    authorizationDetails: null,
    createdAt: 1_700_000_000,
    revokedAt: null,
    ...overrides,
  };
}

/** An agent (migration 0002) owned by usr_alice, bound to client `agent-client`; strings with non-ASCII text round-trip. */
export function agent(overrides: Partial<AgentRecord> = {}): AgentRecord {
  return {
    id: 'agt_1',
    name: 'Inbox triage',
    description: 'Sorts “mail” ✓',
    ownerUserId: 'usr_alice',
    allowedScopes: ['mail:read', 'mail:label'],
    allowedAudiences: ['https://mcp.example/'],
    allowedTools: ['list_messages'],
    maxDelegationDepth: 2,
    status: 'active',
    suspendedBy: null,
    attestation: { model: 'claude-x', runtime: 'node-22', publisher: 'example.com' },
    jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'a1' }] },
    clientId: 'agent-client',
    createdAt: 1_700_000_000,
    updatedAt: 1_700_000_000,
    ...overrides,
  };
}

