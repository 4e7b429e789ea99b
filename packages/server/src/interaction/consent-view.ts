/**
 * What the consent page shows (AS-6, AS-8): the client's registered name, for a Client ID
 * Metadata Document client also the host of its client_id URL (the name is self-asserted, the
 * host is not), the host the browser will be sent to, a warning when such a client can only
 * return to localhost, and the scopes, resources and authorization details in plain words.
 */
import type { ServerContext } from '../context.ts';
import type { ClientRecord } from '../storage/records.ts';
import type { AuthorizationRequest } from '../endpoints/authorize/request.ts';
import type { ConsentPageInput } from './pages/consent.ts';
import { describeScope } from './pages/scope-descriptions.ts';
import { scopeTokens } from '../checks/scope.ts';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function clientDisplayName(client: ClientRecord): string {
  const fromMetadata = client.metadata.client_name;
  const name = client.clientName || (typeof fromMetadata === 'string' ? fromMetadata : '');
  return name.trim() !== '' ? name.trim().slice(0, 100) : client.clientId.slice(0, 100);
}

function isMetadataDocumentClient(client: ClientRecord): boolean {
  return client.source === 'cimd' || client.clientId.startsWith('https://');
}

function hostOf(uri: string): string | null {
  try {
    return new URL(uri).host || null;
  } catch {
    return null;
  }
}

function isLoopbackUri(uri: string): boolean {
  try {
    return LOOPBACK_HOSTS.has(new URL(uri).hostname);
  } catch {
    return false;
  }
}

export function describeRedirect(uri: string): { host: string; note: string | null } {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { host: uri, note: null };
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    return { host: url.host, note: LOOPBACK_HOSTS.has(url.hostname) ? 'A program on this computer (localhost)' : null };
  }
  // RFC 8252 §7.1: a private-use scheme opens an app installed on this device.
  return { host: url.protocol.slice(0, -1), note: 'An app installed on this device' };
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(', ');
  return JSON.stringify(value);
}

export function consentView(
  ctx: ServerContext,
  input: { client: ClientRecord; request: AuthorizationRequest; userEmail: string; action: string; csrf: string; signOut: ConsentPageInput['signOut'] },
): ConsentPageInput {
  const { client, request } = input;
  const cimd = isMetadataDocumentClient(client);
  const redirect = describeRedirect(request.redirectUri);
  const types = ctx.config.authorizationDetailsTypes;
  return {
    action: input.action,
    csrf: input.csrf,
    userEmail: input.userEmail,
    clientName: clientDisplayName(client),
    clientIdHost: cimd ? hostOf(client.clientId) : null,
    redirectHost: redirect.host,
    redirectNote: redirect.note,
    localhostOnlyWarning: cimd && client.redirectUris.length > 0 && client.redirectUris.every(isLoopbackUri),
    scopes: scopeTokens(request.scope).map((name) => ({ name, description: describeScope(name) })),
    resources: request.resources,
    authorizationDetails: (request.authorizationDetails ?? []).map((d) => ({
      type: d.type,
      description: types.find((t) => t.type === d.type)?.description ?? '',
      fields: Object.entries(d)
        .filter(([k]) => k !== 'type')
        .map(([k, v]): [string, string] => [k, formatValue(v)]),
    })),
    signOut: input.signOut,
  };
}
