/**
 * The clients the interop tests register, as static configuration entries (RFC 7591 metadata plus
 * client_id), the way an operator would write them in Mandate's configuration.
 */
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

/** The scopes the interop servers offer: the OIDC ones plus one MCP-style scope. */
export const INTEROP_SCOPES = ['openid', 'profile', 'email', 'offline_access', 'mcp:tools'];

/** RFC 8252 §7.3: a loopback redirect URI; the port may vary at authorization time. */
export const LOOPBACK_REDIRECT = 'http://127.0.0.1/callback';

/** A public native client (token_endpoint_auth_method none, PKCE) that may refresh. */
export function nativeClient(clientId = 'interop-native', redirectUris: string[] = [LOOPBACK_REDIRECT]): Record<string, unknown> {
  return {
    client_id: clientId,
    client_name: 'Interop Native App',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: redirectUris,
    scope: INTEROP_SCOPES.join(' '),
  };
}

export interface ServiceClientKeys {
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function serviceClientKeys(kid = 'interop-service-key-1'): Promise<ServiceClientKeys> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

/** A machine client authenticating with private_key_jwt (RFC 7523 §2.2), client_credentials only. */
export function serviceClient(keys: ServiceClientKeys, clientId = 'interop-service'): Record<string, unknown> {
  return {
    client_id: clientId,
    client_name: 'Interop Service',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    grant_types: ['client_credentials'],
    jwks: { keys: [keys.publicJwk] },
    scope: 'mcp:tools',
  };
}
