/**
 * The token exchange grant (RFC 8693), read top to bottom as a table of checks (DL-1..4, DL-6).
 * Granted scope is the intersection of the request, the subject token, the agent and the client's
 * policy for the target; the actor chain grows by one per hop with loops and excess depth
 * refused; every exchange and every refusal is audited with the chain (AU-2).
 * README.md in this directory describes the two profiles, the ID-JAG issuance and vault releases.
 */
import { InvalidRequestError, TokenTypeUri } from '@mandate/protocol';
import type { GrantHandler, TokenRequest, TokenResponseBody } from '../types.ts';
import { checkResourceIndicators } from '../../checks/resource-indicators.ts';
import { readExchangeRequest, type ExchangeRequest } from './request.ts';
import { verifySubjectToken, type SubjectToken } from './subject-token.ts';
import { checkSubjectKeyBinding } from './subject-binding.ts';
import { actingAgent } from './actor.ts';
import { checkMayAct } from './may-act.ts';
import { accessTokenTargets, checkAgentAudiences, idJagAudience } from './target.ts';
import { chooseProfile, maxChainDepth } from './profile.ts';
import { extendChain, type Actor } from './act-chain.ts';
import { exchangeScope } from './scope.ts';
import { clientBounds, idJagBounds, subjectAndAgentBounds } from './bounds.ts';
import { issueExchangedAccessToken } from './issue.ts';
import { checkIdJagSubject, issueIdJag } from './id-jag.ts';
import { auditRefusal, type RefusalContext } from './audit.ts';
import type { AgentRecord } from '../../storage/records.ts';
import { userLookup } from './users.ts';
import { vaultTarget } from './vault-policy.ts';
import { releaseFromVault } from './vault-release.ts';

export const tokenExchangeGrant: GrantHandler = async (req) => {
  const known: RefusalContext = { userId: null, agentId: null, chain: null, subjectJti: null, requestedTokenType: null };
  try {
    return await exchange(req, known);
  } catch (err) {
    await auditRefusal(req.ctx, req, known, err); // AU-2: refusals carry the chain known so far
    throw err;
  }
};

async function exchange(req: TokenRequest, known: RefusalContext): Promise<TokenResponseBody> {
  const { ctx, client } = req;
  const request = readExchangeRequest(req.params); // §2.1 parameters, actor_token_type iff actor_token
  known.requestedTokenType = request.requestedTokenType;
  const users = userLookup(ctx); // the subject's user and the agent's owner, read once each
  const subject = await verifySubjectToken(ctx, client, request, users); // §2.1, §2.2.2
  Object.assign(known, { userId: subject.userId, chain: subject.chain, subjectJti: subject.jti });
  checkSubjectKeyBinding(subject, client, req.dpop); // RFC 9449 §6.1: a bound token is exchanged with its key
  const agent = await actingAgent(ctx, client, request, users, req.dpop); // §2.1 actor_token (a bound one with its key); suspended agent or owner refused
  known.agentId = agent?.id ?? null;
  const actor: Actor | null = agent ? { sub: agent.id } : null;
  checkMayAct(subject.claims.may_act, actor, ctx.config.issuer); // §4.4 may_act
  const vaultConnection = vaultTarget(request); // VA-2: audience urn:mandate:vault:<connection>, the only target
  if (vaultConnection !== null) return releaseFromVault(req, request, subject, agent, vaultConnection); // policy, then the provider's token
  if (request.requestedTokenType === TokenTypeUri.IdJag) return exchangeForIdJag(req, request, subject, agent, actor, known);

  const targets = accessTokenTargets(request, ctx.config); // §2.1 audience / resource, RFC 8707
  checkAgentAudiences(agent, targets); // DL-4: the agent's audiences
  const profile = chooseProfile(ctx.config, targets); // DL-2: impersonation or delegation per target
  if (profile === 'delegation' && actor === null) throw new InvalidRequestError('The target uses the delegation profile (sub = the agent): an actor_token is required.');
  const chain = extendChain(subject.chain, actor, maxChainDepth(ctx.config, targets, agent?.maxDelegationDepth ?? null)); // §4.1; loops, depth
  known.chain = chain;
  const scope = exchangeScope(request.requestedScope, [...subjectAndAgentBounds(subject, agent), ...clientBounds(ctx.config, client, targets)]); // DL-1, DL-4
  return issueExchangedAccessToken(req, { subject, agent, chain, profile, targets, requestedScope: request.requestedScope, scope: scope.scope, narrowed: scope.narrowed });
}

/** DL-3: an ID-JAG for another authorization server; its scopes are that server's, bounded by the trust list. */
async function exchangeForIdJag(req: TokenRequest, request: ExchangeRequest, subject: SubjectToken, agent: AgentRecord | null, actor: Actor | null, known: RefusalContext): Promise<TokenResponseBody> {
  const { ctx, client } = req;
  checkIdJagSubject(subject); // the draft §4.3: the user's ID token for this client, never an access token
  const audience = idJagAudience(request, ctx.config, client); // the draft: audience = the other AS's issuer, trusted
  const resources = checkResourceIndicators(request.resources, { resources: [] }); // resources at the other side: syntax only
  checkAgentAudiences(agent, [audience.issuer]); // DL-4
  const chain = extendChain(subject.chain, actor, maxChainDepth(ctx.config, [], agent?.maxDelegationDepth ?? null));
  known.chain = chain;
  // The other server's scope names: the ID token (consent to *this* server's scopes) is no bound on them.
  const scope = exchangeScope(request.requestedScope, [{ name: 'subject_token', scopes: null }, ...subjectAndAgentBounds(subject, agent).slice(1), ...idJagBounds(audience)]);
  return issueIdJag(req, { subject, agent, chain, profile: 'impersonation', targets: [audience.issuer], requestedScope: request.requestedScope, scope: scope.scope, narrowed: scope.narrowed }, audience, resources);
}
