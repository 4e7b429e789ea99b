/**
 * The end of a successful authorization: the grant (what the user allowed this client), the
 * authorization code (RFC 6749 §4.1.2) that the token endpoint redeems once, and the audit event,
 * written in one transaction so none exists without the others. The code itself is only in the
 * redirect; storage keeps its SHA-256.
 */
import { AccessDeniedError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import { randomToken, sha256 } from '../../crypto/hash.ts';
import { sortableId } from '../../crypto/sortable-ids.ts';
import type { AuthorizationCodeRecord, GrantRecord } from '../../storage/records.ts';
import type { AuthorizationRequest } from './request.ts';
import { authorizationResponseUrl, errorResponseUrl } from './response.ts';
import { isConsentLive, isSessionLive } from '../../grants/shared/live-tree.ts';

/** Who authenticated, and how (OIDC Core §2: auth_time, acr, amr). */
export interface CompletedAuthentication {
  userId: string;
  authTime: number;
  acr: string;
  amr: string[];
  /** The login session the code was issued under (for logout and revocation later). */
  sessionIdHash: string | null;
}

export interface CompletionInput {
  request: AuthorizationRequest;
  authentication: CompletedAuthentication;
  /** The consent the grant rests on. */
  consentId: string | null;
  ip: string | null;
}

/** Issues the code and returns the URL to redirect the browser to (code, state, iss). */
export async function completeAuthorization(ctx: ServerContext, input: CompletionInput): Promise<string> {
  const { request, authentication } = input;
  const now = ctx.now();
  const code = randomToken();
  const grant: GrantRecord = {
    id: sortableId('grt'),
    userId: authentication.userId,
    clientId: request.clientId,
    agentId: null,
    parentGrantId: null,
    scope: request.scope,
    resources: request.resources,
    authorizationDetails: request.authorizationDetails,
    consentId: input.consentId,
    createdAt: now,
    revokedAt: null,
    revokedReason: null,
    // CO-1: ending this login session revokes the grant (storage sessions.revokeWithGrants).
    ...(authentication.sessionIdHash !== null ? { sessionIdHash: authentication.sessionIdHash } : {}),
  };
  const record: AuthorizationCodeRecord = {
    codeHash: sha256(code),
    grantId: grant.id,
    clientId: request.clientId,
    userId: authentication.userId,
    redirectUri: request.redirectUri,
    redirectUriSent: request.redirectUriSent, // RFC 6749 §4.1.3: then /token must repeat it
    codeChallenge: request.codeChallenge,
    codeChallengeMethod: request.codeChallengeMethod,
    scope: request.scope,
    resources: request.resources,
    authorizationDetails: request.authorizationDetails,
    nonce: request.nonce,
    authTime: authentication.authTime,
    acr: authentication.acr,
    amr: authentication.amr,
    dpopJkt: request.dpopJkt,
    sessionIdHash: authentication.sessionIdHash,
    createdAt: now,
    expiresAt: now + ctx.config.ttl.authorizationCode,
    consumedAt: null,
  };
  const refused = await ctx.storage.transaction(async (tx): Promise<AccessDeniedError | null> => {
    // CO-1: the consent was found live before the page or login; it may have been revoked since.
    // Re-read in this transaction (`for share` on PostgreSQL), so a concurrent revocation either
    // committed first (no grant is written) or waits, and its consents.revokeWithGrants walk sees this grant.
    if (input.consentId !== null && !(await isConsentLive(tx, input.consentId))) return new AccessDeniedError('The consent for this request was revoked.');
    // CO-1, the same for the login session the grant is recorded under (grants.session_id_hash):
    // a sign-out or session revocation committing meanwhile would walk before this grant exists
    // and leave it live under an ended session. After the consent: the order revocations take.
    if (authentication.sessionIdHash !== null && !(await isSessionLive(tx, authentication.sessionIdHash, now))) return new AccessDeniedError('The login session ended before the authorization completed.');
    await tx.grants.create(grant);
    await tx.codes.create(record);
    // AU-1: fails closed — no code leaves without its audit row.
    await tx.audit.append(
      {
        event: 'authorization',
        userId: authentication.userId,
        clientId: request.clientId,
        requestedScope: request.scope,
        grantedScope: request.scope,
        resource: request.resources.length > 0 ? request.resources.join(' ') : null,
        ip: input.ip,
        result: 'success',
        data: { grantId: grant.id, consentId: input.consentId, acr: authentication.acr, pushed: request.pushed },
      },
      now,
    );
    return null;
  });
  // RFC 6749 §4.1.2.1: the consent the user gave, or the session they gave it in, is gone: denied.
  if (refused) return errorResponseUrl(ctx, request, refused);
  return authorizationResponseUrl(ctx, request, { code });
}
