/** Grant types (RFC 6749 §4, RFC 8693 §2.1, RFC 7523 §2.1). */
export const GrantType = {
  AuthorizationCode: 'authorization_code',
  RefreshToken: 'refresh_token',
  ClientCredentials: 'client_credentials',
  TokenExchange: 'urn:ietf:params:oauth:grant-type:token-exchange',
  JwtBearer: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
} as const;
export type GrantType = (typeof GrantType)[keyof typeof GrantType];

/** Token type identifiers (RFC 8693 §3, draft-ietf-oauth-identity-assertion-authz-grant). */
export const TokenTypeUri = {
  AccessToken: 'urn:ietf:params:oauth:token-type:access_token',
  RefreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  IdToken: 'urn:ietf:params:oauth:token-type:id_token',
  Jwt: 'urn:ietf:params:oauth:token-type:jwt',
  IdJag: 'urn:ietf:params:oauth:token-type:id-jag',
} as const;

/** Client authentication methods (RFC 7591 §2, RFC 7523). */
export const ClientAuthMethod = {
  None: 'none',
  ClientSecretBasic: 'client_secret_basic',
  ClientSecretPost: 'client_secret_post',
  PrivateKeyJwt: 'private_key_jwt',
} as const;
export type ClientAuthMethod = (typeof ClientAuthMethod)[keyof typeof ClientAuthMethod];

/** RFC 7523 §2.2 client assertion type. */
export const CLIENT_ASSERTION_TYPE_JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** RFC 9126 §2.2 request_uri prefix. */
export const PAR_REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';

/** JWS algorithms Mandate accepts from clients (DPoP proofs, client assertions). Never `none`, never HMAC. */
export const ASYMMETRIC_JWS_ALGS = ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'RS256', 'PS256'] as const;

/** Authentication context classes (`acr`), weakest first. */
export const Acr = {
  Password: 'urn:mandate:acr:pwd',
  PasswordTotp: 'urn:mandate:acr:mfa',
  Passkey: 'urn:mandate:acr:phr',
} as const;
