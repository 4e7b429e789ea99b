import { describe, expect, it } from 'vitest';
import { InvalidClientMetadataError, InvalidRedirectUriError, type OAuthError } from '@mandate/protocol';
import { validateClientMetadata, type MetadataPolicy } from '../../src/clients/metadata.ts';
import { checkRedirectUri, inferApplicationType } from '../../src/clients/metadata-redirect-uris.ts';

const dev: MetadataPolicy = { source: 'dcr', mode: 'development', devAllowedHosts: [], scopesSupported: ['openid', 'profile', 'mandate:admin', 'mcp:tools'] };
const prod: MetadataPolicy = { ...dev, mode: 'production' };

function refusal(input: Record<string, unknown>, policy: MetadataPolicy = prod): OAuthError {
  try {
    validateClientMetadata(input, policy);
  } catch (err) {
    return err as OAuthError;
  }
  throw new Error('expected a refusal');
}

describe('RFC 7591 §2 client metadata', () => {
  it('applies the RFC defaults: authorization_code, code, client_secret_basic', () => {
    const m = validateClientMetadata({ redirect_uris: ['https://app.example.com/cb'] }, prod);
    expect(m).toMatchObject({ grantTypes: ['authorization_code'], responseTypes: ['code'], tokenEndpointAuthMethod: 'client_secret_basic', applicationType: 'web', requirePar: false, dpopBoundAccessTokens: false });
  });

  it('ignores metadata it does not understand and treats null as absent (RFC 7591 §2, RFC 7592 §2.2)', () => {
    const m = validateClientMetadata({ redirect_uris: ['https://app.example.com/cb'], unknown_field: 1, logo_uri: null }, prod);
    expect(m.metadata).toEqual({});
  });

  it('keeps informational URIs, contacts, software identity, PAR and DPoP settings', () => {
    const m = validateClientMetadata(
      {
        redirect_uris: ['https://app.example.com/cb'],
        client_name: 'App',
        logo_uri: 'https://app.example.com/logo.png',
        client_uri: 'https://app.example.com',
        tos_uri: 'https://app.example.com/tos',
        policy_uri: 'https://app.example.com/privacy',
        contacts: ['ops@example.com'],
        software_id: 'app',
        software_version: '1.2',
        require_pushed_authorization_requests: true,
        dpop_bound_access_tokens: true,
      },
      prod,
    );
    expect(m).toMatchObject({ clientName: 'App', softwareId: 'app', softwareVersion: '1.2', requirePar: true, dpopBoundAccessTokens: true });
    expect(m.metadata).toMatchObject({ logo_uri: 'https://app.example.com/logo.png', contacts: ['ops@example.com'] });
  });

  it.each([
    [{ redirect_uris: ['https://a.example/cb'], grant_types: ['implicit'] }, 'removed in OAuth 2.1'],
    [{ redirect_uris: ['https://a.example/cb'], grant_types: ['password'] }, 'removed in OAuth 2.1'],
    [{ redirect_uris: ['https://a.example/cb'], grant_types: ['urn:example:custom'] }, 'not supported'],
    [{ redirect_uris: ['https://a.example/cb'], response_types: ['token'] }, "only 'code'"],
    [{ redirect_uris: ['https://a.example/cb'], grant_types: ['client_credentials'], response_types: ['code'] }, 'disagree'],
    [{ redirect_uris: ['https://a.example/cb'], grant_types: ['authorization_code'], response_types: [] }, 'disagree'],
    [{ grant_types: ['refresh_token', 'client_credentials'] }, "needs 'authorization_code'"],
    [{ grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' }, 'cannot use the client_credentials grant'],
    [{ redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'client_secret_jwt' }, 'client_secret_jwt is not supported'],
    [{ redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'private_key_jwt' }, 'jwks or jwks_uri'],
    [{ redirect_uris: ['https://a.example/cb'], jwks: { keys: [{ kty: 'EC' }] }, jwks_uri: 'https://a.example/jwks' }, 'must not both be present'],
    [{ redirect_uris: ['https://a.example/cb'], jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, 'asymmetric keys only'],
    [{ redirect_uris: ['https://a.example/cb'], jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'private' }] } }, "private member 'd'"],
    [{ redirect_uris: ['https://a.example/cb'], token_endpoint_auth_signing_alg: 'HS256' }, 'token_endpoint_auth_signing_alg'],
    [{ redirect_uris: ['https://a.example/cb'], token_endpoint_auth_signing_alg: 'none' }, 'token_endpoint_auth_signing_alg'],
    [{ redirect_uris: ['https://a.example/cb'], token_endpoint_auth_signing_alg: 'RS512' }, 'token_endpoint_auth_signing_alg'],
    [{ redirect_uris: ['https://a.example/cb'], jwks_uri: 'http://a.example/jwks' }, 'jwks_uri must be an https URL'],
    [{ redirect_uris: ['https://a.example/cb'], logo_uri: 'javascript:alert(1)' }, 'logo_uri must be an https URL'],
    [{ redirect_uris: ['https://a.example/cb'], client_uri: 'not a url' }, 'client_uri is not an absolute URL'],
    [{ redirect_uris: ['https://a.example/cb'], scope: 'openid "bad"' }, 'invalid token'],
    [{ redirect_uris: ['https://a.example/cb'], application_type: 'desktop' }, 'application_type'],
    [{ redirect_uris: ['https://a.example/cb'], require_pushed_authorization_requests: 'yes' }, 'require_pushed_authorization_requests'],
    [{ redirect_uris: ['https://a.example/cb'], client_name: '' }, 'client_name'],
  ])('refuses %j with invalid_client_metadata (%s)', (input, message) => {
    const err = refusal(input);
    expect(err).toBeInstanceOf(InvalidClientMetadataError);
    expect(err.description).toContain(message);
  });

  it('accepts public keys by value and by reference', () => {
    const key = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };
    expect(validateClientMetadata({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key] } }, prod).jwks).toEqual({ keys: [key] });
    expect(validateClientMetadata({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://svc.example/jwks' }, prod).jwksUri).toBe('https://svc.example/jwks');
  });

  it('never lets a self-registered client hold the admin scope, and gives it the supported scopes minus admin by default', () => {
    expect(refusal({ redirect_uris: ['https://a.example/cb'], scope: 'openid mandate:admin' }).description).toContain('mandate:admin');
    expect(validateClientMetadata({ redirect_uris: ['https://a.example/cb'] }, prod).scope).toBe('openid profile mcp:tools');
    expect(validateClientMetadata({ grant_types: ['client_credentials'], scope: 'mandate:admin' }, { ...prod, source: 'admin' }).scope).toBe('mandate:admin');
    expect(validateClientMetadata({ redirect_uris: ['https://a.example/cb'] }, { ...prod, source: 'admin' }).scope).toBe('');
  });
});

describe('OAuth 2.1 §2.3.1 / RFC 8252 redirect URIs', () => {
  it('requires redirect URIs for the authorization code grant', () => {
    expect(refusal({})).toBeInstanceOf(InvalidRedirectUriError);
    expect(validateClientMetadata({ grant_types: ['client_credentials'] }, prod).redirectUris).toEqual([]);
  });

  it.each([
    ['https://app.example.com/cb#frag', 'fragment'],
    ['/relative/cb', 'absolute URI'],
    ['https://user:pw@app.example.com/cb', 'username or password'],
    ['http://app.example.com/cb', 'http is only allowed for loopback'],
    ['javascript:alert(1)', 'web clients must use https'],
  ])('refuses %s for a web client', (uri, message) => {
    const err = refusal({ redirect_uris: [uri], application_type: 'web' });
    expect(err).toBeInstanceOf(InvalidRedirectUriError);
    expect(err.description).toContain(message);
  });

  it('refuses loopback redirects for web clients in production, allows them in development', () => {
    expect(refusal({ redirect_uris: ['http://localhost:3000/cb'], application_type: 'web' }).description).toContain('may not redirect to localhost');
    expect(refusal({ redirect_uris: ['https://127.0.0.1/cb'], application_type: 'web' }).description).toContain('may not redirect to localhost');
    expect(validateClientMetadata({ redirect_uris: ['http://localhost:3000/cb'], application_type: 'web' }, dev).redirectUris).toEqual(['http://localhost:3000/cb']);
  });

  it('allows native clients loopback (§7.3), private-use schemes (§7.1) and claimed https URLs (§7.2)', () => {
    const uris = ['http://127.0.0.1/callback', 'http://[::1]:8080/cb', 'http://localhost/cb', 'com.example.app:/oauth2redirect', 'https://app.example.com/native'];
    expect(validateClientMetadata({ redirect_uris: uris, application_type: 'native', token_endpoint_auth_method: 'none' }, prod).redirectUris).toEqual(uris);
  });

  it('refuses non-reverse-domain custom schemes and non-loopback http for native clients', () => {
    expect(() => checkRedirectUri('myapp://cb', { applicationType: 'native', allowWebLoopback: false })).toThrow(/reverse-domain/);
    expect(() => checkRedirectUri('javascript:alert(1)', { applicationType: 'native', allowWebLoopback: false })).toThrow(/reverse-domain/);
    expect(() => checkRedirectUri('http://10.0.0.1/cb', { applicationType: 'native', allowWebLoopback: false })).toThrow(/loopback/);
  });

  it('infers native when application_type is absent and every redirect URI is loopback or private-use (AS-7)', () => {
    expect(inferApplicationType(['http://127.0.0.1:3333/callback'])).toBe('native');
    expect(inferApplicationType(['com.example.app:/cb', 'http://localhost/cb'])).toBe('native');
    expect(inferApplicationType(['https://app.example.com/cb', 'http://localhost/cb'])).toBe('web');
    expect(validateClientMetadata({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' }, prod).applicationType).toBe('native');
  });
});
