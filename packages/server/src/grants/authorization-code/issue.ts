/**
 * Issuance for an exchanged code: access token for the (narrowed) scope and resources, a refresh
 * token when the client is registered for the refresh_token grant, an ID token when `openid` was
 * granted.
 *
 * Refresh token policy: MCP clients register `grant_types: ["authorization_code", "refresh_token"]`
 * and expect a refresh token without asking for `offline_access`, so the registration decides
 * (RFC 6749 §4.1.4: "optional"). The refresh token keeps the code's full scope and resources so
 * a later refresh may ask for any part of them (RFC 6749 §6).
 *
 * The issuing transaction is re-run when PostgreSQL picks it as a deadlock victim (commit.ts), as
 * the refresh and exchange paths are: the code is already consumed, so a 503 would leave the client
 * only a retry that counts as code reuse (RFC 6749 §4.1.2) and revokes the grant it was owed.
 */
import { GrantType, InvalidGrantError } from '@mandate/protocol';
import type { AuthorizationCodeRecord } from '../../storage/records.ts';
import { inTransaction } from '../shared/commit.ts';
import { auditIssuance, narrowedIssuance, TokenAuditEvent } from '../shared/audit.ts';
import { refreshTokenJkt } from '../shared/dpop.ts';
import { issueUserTokens, signUserTokens } from '../shared/issue.ts';
import { requireLiveGrantTree } from '../shared/live-tree.ts';
import type { Narrowed } from '../shared/narrow.ts';
import type { TokenRequest, TokenResponseBody } from '../types.ts';

export async function issueFromCode(req: TokenRequest, code: AuthorizationCodeRecord, narrowed: Narrowed): Promise<TokenResponseBody> {
  const { client } = req;
  const user = { userId: code.userId, authTime: code.authTime, acr: code.acr, amr: code.amr };
  const withRefresh = client.grantTypes.includes(GrantType.RefreshToken);
  const signed = await signUserTokens(req.ctx, req, { grantId: code.grantId, user, narrowed, idTokenNonce: code.nonce });
  return inTransaction(req.ctx, async (txCtx) => {
    // RFC 6749 §4.1.2 / RFC 9700 §4.2.4: a replay of this code (or a consent revocation) may have
    // revoked the grant while the tokens were signed; its revokeTree found no tokens yet.
    await requireLiveGrantTree(txCtx, code.grantId, (detail) => new InvalidGrantError('The authorization grant has been revoked.', { detail }));
    const issued = await issueUserTokens(txCtx, req, {
      grantId: code.grantId,
      user,
      narrowed,
      idTokenNonce: code.nonce,
      refreshToken: withRefresh
        ? {
            grantId: code.grantId,
            clientId: client.clientId,
            userId: code.userId,
            scope: code.scope,
            resources: code.resources,
            authorizationDetails: code.authorizationDetails,
            dpopJkt: refreshTokenJkt(client, req.dpop),
            authTime: code.authTime,
            acr: code.acr,
            amr: code.amr,
            nonce: code.nonce,
            familyStartedAt: code.createdAt, // the authorization that created the grant (RFC 9700 §4.14.2 absolute lifetime)
          }
        : null,
    }, signed);
    await auditIssuance(txCtx.audit, req, {
      event: TokenAuditEvent.Issued,
      userId: code.userId,
      ...narrowedIssuance(narrowed, code.scope),
      data: {
        grant_id: code.grantId,
        jti: issued.jti,
        // AU-2: an exchange of the ID token names it as subject_jti; custody finds this event by it.
        ...(issued.idTokenJti !== null ? { id_token_jti: issued.idTokenJti } : {}),
        ...(issued.refreshToken ? { refresh_token_id: issued.refreshToken.record.id } : {}),
      },
    });
    return issued.body;
  }, { retryOnDeadlock: true }); // signed before; everything here writes through txCtx only, so a deadlock victim re-runs
}
