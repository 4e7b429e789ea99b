/**
 * The clients, scopes and resources of the token tests, registered through the static
 * configuration (RFC 7591 metadata plus client_id / client_secret) as an operator would.
 */

export const SECRET = {
  web: 'web-secret-0123456789-abcdefghijklmnopqrstuv',
  other: 'other-secret-0123456789-abcdefghijklmnopqrstu',
  machine: 'machine-secret-0123456789-abcdefghijklmnopqr',
  rs: 'resource-server-secret-0123456789-abcdefghijk',
} as const;

export const REDIRECT = { web: 'https://app.example/callback', public: 'http://127.0.0.1/callback' } as const;
export const MCP_RESOURCE = 'https://mcp.example/mcp';
export const OTHER_RESOURCE = 'https://files.example/api';
export const SCOPES = ['openid', 'profile', 'email', 'offline_access', 'mcp:read', 'mcp:write', 'mcp:admin'];

/** Clients as an operator would configure them (RFC 7591 metadata + client_id / client_secret). */
export const CLIENTS: Record<string, unknown>[] = [
  {
    client_id: 'web-app',
    client_secret: SECRET.web,
    client_name: 'Web App',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: [REDIRECT.web],
  },
  {
    client_id: 'other-app',
    client_secret: SECRET.other,
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: [REDIRECT.web],
  },
  {
    client_id: 'no-refresh-app',
    client_secret: SECRET.web,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code'],
    redirect_uris: [REDIRECT.web],
  },
  {
    client_id: 'public-app',
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: [REDIRECT.public],
  },
  {
    client_id: 'dpop-app',
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: [REDIRECT.public],
    dpop_bound_access_tokens: true,
  },
  {
    client_id: 'machine',
    client_secret: SECRET.machine,
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['client_credentials'],
    scope: 'mcp:read mcp:write',
  },
  {
    client_id: 'resource-server',
    client_secret: SECRET.rs,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    scope: 'mcp:read',
  },
];
