/**
 * Audit events of the token endpoint (AU-1): every issuance, refresh, reuse and failure, with
 * requested and granted scope, resource, client, user and IP. Identifiers (grant id, jti,
 * refresh token id, key thumbprint) are recorded; tokens and codes never are.
 */
import { isOAuthError } from '@mandate/protocol';
import type { AuditLog, ServerContext } from '../../context.ts';
import type { TokenRequest } from '../types.ts';
import type { Narrowed } from './narrow.ts';

export const TokenAuditEvent = {
  Issued: 'token_issued',
  Refreshed: 'token_refreshed',
  RefreshTokenReuse: 'refresh_token_reuse',
  CodeReuse: 'code_reuse',
  Revoked: 'token_revoked',
  Failed: 'token_failed',
} as const;

export interface IssuanceAudit {
  event: typeof TokenAuditEvent.Issued | typeof TokenAuditEvent.Refreshed;
  userId: string | null;
  requestedScope: string | null;
  grantedScope: string;
  resources: string[];
  data: Record<string, unknown>;
}

/**
 * The scope and resources an issuance records when the token was cut from a grant (narrow.ts):
 * what the client asked for — the whole granted scope when it named none (RFC 6749 §6) — and
 * what it got.
 */
export function narrowedIssuance(narrowed: Narrowed, grantedScope: string): Pick<IssuanceAudit, 'requestedScope' | 'grantedScope' | 'resources'> {
  return { requestedScope: narrowed.requestedScope ?? grantedScope, grantedScope: narrowed.scope, resources: narrowed.resources };
}

export function auditIssuance(audit: AuditLog, req: TokenRequest, entry: IssuanceAudit): Promise<void> {
  return audit.record({
    event: entry.event,
    userId: entry.userId,
    clientId: req.client.clientId,
    requestedScope: entry.requestedScope,
    grantedScope: entry.grantedScope,
    resource: entry.resources.length > 0 ? entry.resources.join(' ') : null,
    ip: req.ip,
    result: 'success',
    data: { grant_type: req.grantType, ...(req.dpop ? { dpop_jkt: req.dpop.jkt } : {}), ...entry.data },
  });
}

/** A replayed code or refresh token: the grant family was revoked (RFC 9700 §4.14.2, RFC 6749 §4.1.2). */
export function auditReplay(
  ctx: ServerContext,
  req: TokenRequest,
  entry: { event: typeof TokenAuditEvent.CodeReuse | typeof TokenAuditEvent.RefreshTokenReuse; userId: string | null; grantId: string; revokedGrants: string[]; data?: Record<string, unknown> },
): Promise<void> {
  return ctx.audit.record({
    event: entry.event,
    userId: entry.userId,
    clientId: req.client.clientId,
    ip: req.ip,
    result: 'failure',
    reason: `${entry.event.replace(/_/g, ' ')}: grant family revoked`,
    data: { grant_type: req.grantType, grant_id: entry.grantId, revoked_grants: entry.revokedGrants, ...entry.data },
  });
}

/**
 * A refused token request of an authenticated client. The audit never hides the refusal: if the
 * audit write itself fails, the failure is logged and the client still gets the RFC error.
 */
export async function auditFailure(
  ctx: ServerContext,
  entry: { clientId: string; grantType: string; ip: string | null; requestedScope: string | null; resources: string[]; err: unknown },
): Promise<void> {
  if (!isOAuthError(entry.err)) return;
  const { err } = entry;
  try {
    await ctx.audit.record({
      event: TokenAuditEvent.Failed,
      clientId: entry.clientId,
      // Refused requests carry unchecked input: bounded so a request cannot bloat the audit log.
      requestedScope: entry.requestedScope === null ? null : bounded(entry.requestedScope, MAX_AUDITED_INPUT),
      resource: entry.resources.length > 0 ? bounded(entry.resources.join(' '), MAX_AUDITED_INPUT) : null,
      ip: entry.ip,
      result: 'failure',
      reason: bounded(`${err.error}: ${err.detail ?? err.description}`, MAX_AUDITED_INPUT),
      data: { grant_type: entry.grantType },
    });
  } catch (auditErr) {
    ctx.logger.error({ err: auditErr, event: TokenAuditEvent.Failed }, 'audit write failed');
  }
}

const MAX_AUDITED_INPUT = 1000;

function bounded(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
