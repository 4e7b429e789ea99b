/**
 * SCIM errors (RFC 7644 §3.12): a JSON body in the Error schema, `status` as a string, and a
 * `scimType` for 400/409 answers so a provisioning client can tell a bad filter from a bad value.
 * OAuth errors raised by bearer authentication (401/403) are answered in the same schema, with
 * their WWW-Authenticate header kept (RFC 6750 §3).
 */
import { isOAuthError } from '@mandate/protocol';

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const SCIM_CONTENT_TYPE = 'application/scim+json';

/** RFC 7644 §3.12 Table 9. */
type ScimType = 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive';

export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: ScimType | null,
    readonly detail: string,
  ) {
    super(detail);
  }

  override get name(): string {
    return 'ScimError';
  }
}

export const invalidFilter = (detail: string) => new ScimError(400, 'invalidFilter', detail);
export const invalidSyntax = (detail: string) => new ScimError(400, 'invalidSyntax', detail);
export const invalidPath = (detail: string) => new ScimError(400, 'invalidPath', detail);
export const invalidValue = (detail: string) => new ScimError(400, 'invalidValue', detail);
export const noTarget = (detail: string) => new ScimError(400, 'noTarget', detail);
export const mutability = (detail: string) => new ScimError(400, 'mutability', detail);
export const uniqueness = (detail: string) => new ScimError(409, 'uniqueness', detail);
export const notFound = (detail: string) => new ScimError(404, null, detail);
/**
 * 403: the request is well-formed but this client may not make it (scim/user-guards.ts). RFC 7644
 * §3.12 defines `scimType` for 400s; `mutability` is kept here so a client can tell "never through
 * SCIM" from an authentication failure without parsing `detail`.
 */
export const forbidden = (detail: string) => new ScimError(403, 'mutability', detail);

/**
 * A unique index refused the write: two clients created the same userName or displayName at once,
 * after both passed the explicit check (storage/unique-violation.ts knows both backends' codes).
 */
export { isUniqueViolation } from '../storage/unique-violation.ts';

function isScimError(value: unknown): value is ScimError {
  return value instanceof ScimError;
}

export function scimJson(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': SCIM_CONTENT_TYPE, 'cache-control': 'no-store', ...headers } });
}

/** The SCIM answer for a known error; null for anything else (a bug, left to the app's error handler). */
export function scimErrorResponse(err: unknown): Response | null {
  if (isScimError(err)) {
    return scimJson({ schemas: [ERROR_SCHEMA], status: String(err.status), ...(err.scimType ? { scimType: err.scimType } : {}), detail: err.detail }, err.status);
  }
  if (isOAuthError(err)) {
    // 400s from shared helpers (e.g. a malformed body) are syntax errors in SCIM terms.
    const scimType = err.status === 400 ? { scimType: 'invalidSyntax' } : {};
    return scimJson({ schemas: [ERROR_SCHEMA], status: String(err.status), ...scimType, detail: err.description }, err.status, err.headers);
  }
  return null;
}
