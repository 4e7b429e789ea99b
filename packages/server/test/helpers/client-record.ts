/**
 * A complete ClientRecord for tests and the bench, as registration would store it: every field
 * present, public client with no secret, nothing special; callers override what their test is about.
 */
import type { ClientRecord } from '../../src/storage/records.ts';

export function clientRecord(overrides: Partial<ClientRecord> & { clientId: string }, now: number): ClientRecord {
  return {
    clientSecretHash: null,
    clientSecretExpiresAt: 0,
    clientName: overrides.clientId,
    redirectUris: [],
    grantTypes: ['authorization_code'],
    responseTypes: ['code'],
    tokenEndpointAuthMethod: 'none',
    jwks: null,
    jwksUri: null,
    scope: '',
    applicationType: 'web',
    softwareId: null,
    softwareVersion: null,
    requirePar: false,
    dpopBoundAccessTokens: false,
    registrationAccessTokenHash: null,
    source: 'admin',
    metadata: {},
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}
