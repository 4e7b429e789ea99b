/**
 * Base of every OAuth / OIDC protocol error. Each RFC error code has its own subclass
 * (see ./codes.ts) so handlers never guess a status or a code: they throw the class.
 *
 * `description` is shown to the client; `detail` is for logs and audit only
 * (the workers-oauth-provider lesson: generic to the client, precise in the log).
 */
export abstract class OAuthError extends Error {
  abstract readonly error: string;
  abstract readonly status: number;
  readonly description: string;
  readonly detail: string | undefined;
  /** Extra response headers, e.g. `DPoP-Nonce` or `WWW-Authenticate`. */
  readonly headers: Record<string, string>;

  constructor(description: string, options: { detail?: string; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.description = description;
    this.detail = options.detail;
    this.headers = { ...options.headers };
  }

  override get name(): string {
    return this.constructor.name;
  }

  /** The RFC 6749 §5.2 error response body. */
  toJSON(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

export function isOAuthError(value: unknown): value is OAuthError {
  return value instanceof OAuthError;
}
