/**
 * The client credentials grant (RFC 6749 §4.4): a confidential client acting for itself (CL-8,
 * ID-3). The token's subject is the client; there is no user, no grant record and no refresh token
 * (§4.4.3). Introspection and revocation work by the token's jti.
 *
 * This is the benchmarked hot path: one transaction with one primary-key read (the client still
 * registered, shared/client-liveness.ts), one access-token insert and one audit append, nothing
 * read back. Before it, one (cached) read: is the client an agent's (issue 3)? An
 * agent's tokens stay within the agent's allowedScopes and allowedAudiences (DL-4, agent-limits.ts),
 * and its client re-reads its agent inside the transaction, as the token exchange does.
 */
import type { GrantHandler } from '../types.ts';
import { checkResourceIndicators } from '../../checks/resource-indicators.ts';
import { parseAuthorizationDetails } from '../../checks/authorization-details.ts';
import { defaultAudience, signAccessToken } from '../../tokens/access-token.ts';
import { inTransaction } from '../shared/commit.ts';
import { auditIssuance, TokenAuditEvent } from '../shared/audit.ts';
import { checkClientStillRegistered } from '../shared/client-liveness.ts';
import { tokenResponseBody } from '../shared/issue.ts';
import { checkConfidentialClient, clientCredentialsScope } from './checks.ts';
import { clientTokenTtl } from '../../clients/service-identity.ts';
import { agentClaims, agentForClient, checkAgentStillActive } from '../../agents/identity.ts';
import { withinAgentAudiences } from './agent-limits.ts';
import { InvalidGrantError } from '@mandate/protocol';

export const clientCredentialsGrant: GrantHandler = async (req) => {
  const { ctx, client, params } = req;
  checkConfidentialClient(client); // RFC 6749 §4.4: confidential clients only
  const requestedScope = params.get('scope') ?? null;
  const agent = await agentForClient(ctx, client.clientId); // ID-2: a suspended agent's client gets nothing
  const { scope, narrowed } = clientCredentialsScope(params.get('scope'), client, ctx.config, agent); // RFC 6749 §3.3: allowed for the client (and agent, DL-4)
  const resources = checkResourceIndicators(params.getAll('resource'), ctx.config); // RFC 8707 §2: aud = resources
  withinAgentAudiences(agent, resources, defaultAudience(ctx)); // DL-4: the aud the token carries (default too) within the agent's allowedAudiences, else invalid_target
  const authorizationDetails = parseAuthorizationDetails(params.get('authorization_details'), ctx.config.authorizationDetailsTypes); // RFC 9396 §2

  // Signed before the transaction: a WebCrypto signature completes on a later event-loop turn,
  // and an open SQLite transaction holds the one connection for every other request meanwhile.
  const access = await signAccessToken(ctx, {
      subject: client.clientId,
      clientId: client.clientId,
      userId: null,
      grantId: null,
      scope,
      audience: resources,
      ttl: clientTokenTtl(client, ctx.config.ttl.clientCredentials), // ID-3: short-lived service tokens, per-client cap
      ...(req.dpop ? { cnfJkt: req.dpop.jkt } : {}),
      ...(authorizationDetails ? { authorizationDetails } : {}),
      ...(agent ? { extraClaims: { ...agentClaims(agent) } } : {}), // AU-2, EN-4: the token stands for the agent
    });
  return inTransaction(ctx, async (txCtx) => {
    await checkClientStillRegistered(txCtx, client); // CO-1: a deletion that landed while signing wins, or waits and revokes this token
    await checkAgentStillActive(txCtx, agent, InvalidGrantError); // ID-2: a suspension that landed while signing wins
    await txCtx.storage.accessTokens.create(access.record);
    await auditIssuance(txCtx.audit, req, {
      event: TokenAuditEvent.Issued,
      userId: null,
      requestedScope,
      grantedScope: scope,
      resources,
      data: { jti: access.jti, ...(agent ? { agent_id: agent.id } : {}), ...(narrowed.length > 0 ? { scope_narrowed: narrowed } : {}) }, // AU-2: why less was granted
    });
    return tokenResponseBody(req, access, { scope, authorizationDetails });
  });
};
