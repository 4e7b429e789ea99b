/**
 * Audit events of the interaction pages (AU-1, AU-4): logins (success and every failure, with the
 * reason; never the password or code) and consent decisions. Attempts the throttle refuses
 * unchecked are the exception: one `rate_limited` row per limited key and window (throttle.ts).
 */
import type { ServerContext } from '../context.ts';
import type { AuthorizationRequest } from '../endpoints/authorize/request.ts';

export type LoginFailureReason =
  | 'unknown_account'
  | 'invalid_password'
  /** Too many password checks already waiting (crypto/password.ts): refused before any check. */
  | 'server_busy'
  | 'account_disabled'
  | 'no_password'
  | 'invalid_totp'
  | 'totp_replayed'
  /** Refused by the login throttle before any check; audited once per limited account or IP and window (throttle.ts). */
  | 'rate_limited'
  // Passkeys (issue 4): passkeys/authentication.ts says which check refused.
  | 'passkey_challenge'
  | 'passkey_malformed'
  | 'passkey_unknown_credential'
  | 'passkey_wrong_user'
  | 'passkey_invalid_assertion'
  | 'passkey_counter_regression'
  | 'passkey_backup_eligibility_changed';

/** `data`: for a rate-limit refusal, what was limited (never the email or password tried). */
export function auditLoginFailure(ctx: ServerContext, input: { userId: string | null; clientId: string; ip: string | null; reason: LoginFailureReason; data?: Record<string, unknown> }): Promise<void> {
  return ctx.audit.record({ event: 'login', userId: input.userId, clientId: input.clientId, ip: input.ip, result: 'failure', reason: input.reason, ...(input.data ? { data: input.data } : {}) });
}

/** `data`: what else the login step knows (an upstream login's provider and account); never acr or amr. */
export function auditLoginSuccess(ctx: ServerContext, input: { userId: string; clientId: string; ip: string | null; acr: string; amr: string[]; data?: Record<string, unknown> }): Promise<void> {
  return ctx.audit.record({
    event: 'login',
    userId: input.userId,
    clientId: input.clientId,
    ip: input.ip,
    result: 'success',
    data: { ...input.data, acr: input.acr, amr: input.amr },
  });
}

/** A TOTP secret set up during login and proven with its first code (HU-1, totp-enrollment.ts). */
export function auditTotpEnrollment(ctx: ServerContext, input: { userId: string; clientId: string; ip: string | null }): Promise<void> {
  return ctx.audit.record({ event: 'totp_enrollment', userId: input.userId, clientId: input.clientId, ip: input.ip, result: 'success', data: { method: 'login' } });
}

export function auditConsent(
  ctx: ServerContext,
  input: { userId: string; request: AuthorizationRequest; ip: string | null; granted: boolean; consentId: string | null },
): Promise<void> {
  const { request } = input;
  return ctx.audit.record({
    event: 'consent',
    userId: input.userId,
    clientId: request.clientId,
    requestedScope: request.scope,
    grantedScope: input.granted ? request.scope : null,
    resource: request.resources.length > 0 ? request.resources.join(' ') : null,
    ip: input.ip,
    result: input.granted ? 'success' : 'failure',
    reason: input.granted ? null : 'denied',
    data: input.consentId === null ? null : { consentId: input.consentId },
  });
}
