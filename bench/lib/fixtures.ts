/**
 * What the bench registers and requests, shared by the orchestrator and the server processes,
 * so Mandate and node-oidc-provider receive byte-for-byte comparable requests.
 */
export const RESOURCE = 'https://api.example.com';
export const API_SCOPE = 'api:read';
export const REDIRECT_URI = 'https://app.example.com/callback';
/** RFC 7636 §4.1: 43–128 characters; one verifier for every pre-made code is enough for the bench. */
export const PKCE_VERIFIER = 'bench-verifier-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ';

export interface BenchClient {
  clientId: string;
  secret: string;
}

/** client_credentials, client_secret_basic, scope api:read. */
export const CC_CLIENT: BenchClient = { clientId: 'bench-cc', secret: 'bench-cc-secret-0123456789abcdefghijklmnopqrstuvwxyz' };
/** authorization_code + refresh_token, client_secret_basic. */
export const WEB_CLIENT: BenchClient = { clientId: 'bench-web', secret: 'bench-web-secret-0123456789abcdefghijklmnopqrstuvwxyz' };
/** The resource server that introspects (RFC 7662 §2.1: an authenticated caller). */
export const RS_CLIENT: BenchClient = { clientId: 'bench-rs', secret: 'bench-rs-secret-0123456789abcdefghijklmnopqrstuvwxyz' };

export const BENCH_USER_ID = 'usr_bench';

export function basicAuth(client: BenchClient): string {
  // RFC 6749 §2.3.1: form-urlencode id and secret before base64.
  const enc = (s: string) => encodeURIComponent(s);
  return `Basic ${Buffer.from(`${enc(client.clientId)}:${enc(client.secret)}`).toString('base64')}`;
}

export const FORM = 'application/x-www-form-urlencoded';

export function form(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

export const CC_BODY = form({ grant_type: 'client_credentials', scope: API_SCOPE, resource: RESOURCE });
