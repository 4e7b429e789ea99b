/**
 * The validated, normalized authorization request (RFC 6749 §4.1.1, OAuth 2.1 §4.1.1, OIDC Core
 * §3.1.2.1). It is what the pipeline produces, what a pushed request (RFC 9126) stores, and what an
 * interaction carries until login and consent are done. Stored as JSON, so it is re-parsed with the
 * same schema whenever it is read back: a row that does not fit is refused, never trusted.
 */
import { z } from 'zod';

export const PROMPT_VALUES = ['none', 'login', 'consent', 'select_account'] as const;
export type Prompt = (typeof PROMPT_VALUES)[number];

export const AuthorizationRequestSchema = z.object({
  clientId: z.string().min(1),
  /** The redirect URI the response goes to: the one sent, or the only one registered. */
  redirectUri: z.string().min(1),
  /** Whether `redirect_uri` was sent (RFC 6749 §4.1.3: then the token request must repeat it). */
  redirectUriSent: z.boolean(),
  responseType: z.literal('code'),
  responseMode: z.literal('query'),
  state: z.string().nullable(),
  /** Space-delimited, de-duplicated, sorted (RFC 6749 §3.3); '' when no scope was asked for. */
  scope: z.string(),
  /** `openid` was requested: an OpenID Connect request (OIDC Core §3.1.2.1). */
  openid: z.boolean(),
  /** RFC 8707 resource indicators, in request order, de-duplicated. */
  resources: z.array(z.string()),
  /** RFC 9396 authorization details, already checked against the configured types. */
  authorizationDetails: z.array(z.looseObject({ type: z.string() })).nullable(),
  codeChallenge: z.string(),
  codeChallengeMethod: z.literal('S256'),
  nonce: z.string().nullable(),
  prompt: z.array(z.enum(PROMPT_VALUES)),
  /** OIDC Core §3.1.2.1 max_age, seconds; null when absent. */
  maxAge: z.number().int().nonnegative().nullable(),
  /** Requested authentication context classes we know, in order of preference. */
  acrValues: z.array(z.string()),
  loginHint: z.string().nullable(),
  uiLocales: z.array(z.string()),
  /** RFC 9449 §10: the DPoP key the code will be bound to. */
  dpopJkt: z.string().nullable(),
  /** The request arrived through PAR (RFC 9126). */
  pushed: z.boolean(),
});

export type AuthorizationRequest = z.infer<typeof AuthorizationRequestSchema>;

/** Reads a stored request back (PAR record, interaction record); null when the row is not one. */
export function parseStoredRequest(value: unknown): AuthorizationRequest | null {
  const parsed = AuthorizationRequestSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** Storage records keep params as a plain JSON object. */
export function toStoredRequest(request: AuthorizationRequest): Record<string, unknown> {
  return { ...request };
}
