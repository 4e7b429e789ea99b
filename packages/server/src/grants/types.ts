/**
 * The contract between the token endpoint and its grants (RFC 6749 §4, §6; RFC 8693; RFC 7523).
 * The endpoint parses the form, authenticates the client, checks that the client may use the
 * grant type and verifies a DPoP proof; each grant handler then runs its own table of checks and
 * returns the RFC 6749 §5.1 response body.
 */
import type { Context } from 'hono';
import type { JWK } from 'jose';
import type { ServerContext } from '../context.ts';
import type { Params } from '../http/params.ts';
import type { ClientRecord } from '../storage/records.ts';

/** A verified DPoP proof presented at the token endpoint (RFC 9449 §4.3, §5). */
export interface DpopKey {
  /** RFC 7638 thumbprint of the proof's public key: what `cnf.jkt` binds to. */
  jkt: string;
  jwk: JWK;
}

export interface TokenRequest {
  ctx: ServerContext;
  c: Context;
  params: Params;
  grantType: string;
  /** The authenticated client (RFC 6749 §3.2.1). */
  client: ClientRecord;
  /** The verified DPoP proof, or null when the request carried none. */
  dpop: DpopKey | null;
  ip: string | null;
}

/** RFC 6749 §5.1 successful response (plus RFC 9396 §7 and OIDC Core §3.1.3.3 members). */
export interface TokenResponseBody {
  access_token: string;
  /** RFC 9449 §5: `DPoP` when the access token is bound to a key; RFC 8693 §2.2.1 `N_A` when the issued token is not an access token. */
  token_type: 'Bearer' | 'DPoP' | 'N_A';
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
  authorization_details?: Record<string, unknown>[];
  /** RFC 8693 §2.2.1 (token exchange, issue 3). */
  issued_token_type?: string;
}

/** One grant type: a table of checks ending in issuance. Throws OAuthError subclasses on refusal. */
export type GrantHandler = (req: TokenRequest) => Promise<TokenResponseBody>;
