/**
 * Clients that registered themselves: open Dynamic Client Registration (RFC 7591) or a Client ID
 * Metadata Document anyone can publish. They are anonymous, so every place that grants authority
 * on registration alone asks this one question (client_credentials scopes, introspection, audit
 * ingest, the admin API and SCIM, the scope a registration may claim).
 */
import type { ClientSource } from '../storage/records.ts';

export function isSelfRegistered(client: { source: ClientSource }): boolean {
  return client.source === 'dcr' || client.source === 'cimd';
}
