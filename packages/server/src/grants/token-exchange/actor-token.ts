/**
 * The actor token (RFC 8693 §2.1): the agent proving it is the one acting (ID-1..3). Two forms:
 *   - `urn:ietf:params:oauth:token-type:jwt`: a JWT the agent signed with a key of its registered
 *     JWK Set — iss = sub = the agent id, aud = ONE value, this issuer or its token endpoint
 *     (checks/assertion-audience.ts), short-lived, jti single-use (RFC 7523 §3 rules applied to an
 *     actor assertion);
 *   - `urn:ietf:params:oauth:token-type:access_token`: a live client credentials token of the
 *     client the agent is bound to (AgentRecord.clientId), addressed to this server (its only
 *     audience is the issuer) or issued to the requesting client itself; a DPoP-bound one only
 *     with a proof of its key (actor-binding.ts).
 * Anything else, or any failure: invalid_request (§2.2.2).
 */
import { jwtVerify, type JWTPayload } from 'jose';
import { ASYMMETRIC_JWS_ALGS, InvalidRequestError, TokenTypeUri } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import type { AgentRecord, ClientRecord } from '../../storage/records.ts';
import { hasSoleAudience } from '../../checks/assertion-audience.ts';
import { audiencesOf } from './subject-claims.ts';
import { activeAccessToken } from '../../endpoints/token-state.ts';
import { ASSERTION_LEEWAY } from '../jwt-bearer/verify.ts';
import { checkAssertionLifetime, type LifetimeRefusal } from '../jwt-bearer/lifetime.ts';
import type { DpopKey } from '../types.ts';
import { checkActorKeyBinding } from './actor-binding.ts';
import { endpointUrl, Paths } from '../../endpoints/paths.ts';
import { MAX_UNVERIFIED_JWT_LENGTH, readUnverifiedClaims, requireUnverified } from '../../tokens/unverified-jwt.ts';
import { activeAgent } from './agent.ts';
import { agentKeySet } from './agent-keys.ts';
import { truncate } from './request.ts';
import type { UserLookup } from './users.ts';

/** Replay-cache namespace of actor assertions (storage.replay). */
export const ACTOR_JWT_REPLAY_NAMESPACE = 'actor_jwt';

/**
 * Accepted clock difference with the agent, seconds: the same leeway as every other assertion this
 * server accepts (grants/jwt-bearer), used for exp, iat and — so that no jti outlives its replay
 * row — the replay cache (RFC 7523 §3 (7)).
 */
export const ACTOR_JWT_LEEWAY = ASSERTION_LEEWAY;

/** RFC 8693 §2.2.2: a bad actor token is invalid_request. */
const ACTOR_TOKEN: LifetimeRefusal = { what: 'actor_token', Refusal: InvalidRequestError };

/** `requester`: the authenticated client making the exchange (an access-token actor must be meant for it or for us). */
export async function verifyActorToken(ctx: ServerContext, requester: ClientRecord, token: string, type: string, users: UserLookup, dpop: DpopKey | null): Promise<AgentRecord> {
  if (type === TokenTypeUri.Jwt) return verifyAgentAssertion(ctx, token, users);
  if (type === TokenTypeUri.AccessToken) return verifyAgentAccessToken(ctx, requester, token, users, dpop);
  throw new InvalidRequestError(`The actor_token_type '${truncate(type)}' is not accepted: send the agent's signed JWT or its client credentials access token.`);
}

async function verifyAgentAssertion(ctx: ServerContext, token: string, users: UserLookup): Promise<AgentRecord> {
  const agentId = unverifiedIssuer(token);
  const agent = await activeAgent(ctx, await ctx.storage.agents.get(agentId), `iss '${truncate(agentId)}'`, users);
  const { jwks } = agent;
  if (!jwks || jwks.keys.length === 0) throw new InvalidRequestError(`The agent '${agent.id}' has no registered keys to sign actor tokens with.`);
  const now = ctx.now();
  const audiences = [ctx.config.issuer, endpointUrl(ctx.config.issuer, Paths.token)];
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, agentKeySet({ ...agent, jwks }), {
      issuer: agent.id,
      subject: agent.id,
      audience: audiences,
      algorithms: [...ASYMMETRIC_JWS_ALGS],
      requiredClaims: ['exp', 'iat', 'jti'],
      currentDate: new Date(now * 1000),
      clockTolerance: ACTOR_JWT_LEEWAY,
    }));
  } catch (err) {
    throw new InvalidRequestError(`The actor_token is not a valid assertion of the agent '${agent.id}': ${joseReason(err)}.`);
  }
  // jose accepted an array merely containing one of ours: an assertion made for another party too is refused (audience injection).
  if (!hasSoleAudience(payload.aud, audiences)) {
    throw new InvalidRequestError(`The actor_token is not a valid assertion of the agent '${agent.id}': its "aud" claim must be one value, this issuer or its token endpoint (draft-ietf-oauth-rfc7523bis).`);
  }
  checkAssertionLifetime(payload, now, ctx.config.tokenExchange.actorTokenMaxLifetime, ACTOR_TOKEN); // RFC 7523 §3 (4), (6)
  // RFC 7523 §3 (7): a jti seen before is a replay for as long as the token verifies, i.e. until
  // exp plus the clock leeway jwtVerify granted above — not merely until exp.
  if (!(await ctx.storage.replay.remember(ACTOR_JWT_REPLAY_NAMESPACE, `${agent.id}:${String(payload.jti)}`, payload.exp! + ACTOR_JWT_LEEWAY, now))) {
    throw new InvalidRequestError('The actor_token has already been used (jti replay).');
  }
  return agent;
}

/** The iss of an unverified JWT, only to pick the key set that then verifies it. */
function unverifiedIssuer(token: string): string {
  return requireUnverified(readUnverifiedClaims(token), (message) => new InvalidRequestError(message), {
    too_long: `The actor_token is longer than ${MAX_UNVERIFIED_JWT_LENGTH} characters.`,
    malformed: 'The actor_token is not a JWT.',
    no_issuer: 'The actor_token has no iss naming the agent.',
  }).iss;
}

async function verifyAgentAccessToken(ctx: ServerContext, requester: ClientRecord, token: string, users: UserLookup, dpop: DpopKey | null): Promise<AgentRecord> {
  const access = await activeAccessToken(ctx, token);
  if (!access) throw new InvalidRequestError('The actor_token is not a live access token of this server.');
  // Only a client credentials token (no grant, no user) stands for the client itself.
  if (access.record.grantId !== null || access.record.userId !== null) {
    throw new InvalidRequestError('The actor_token access token must be a client credentials token of the agent\'s client.');
  }
  checkActorAudience(ctx, requester, access.record.clientId, access.payload); // RFC 8725 §3.9: no token passthrough
  checkActorKeyBinding(access.payload, dpop); // RFC 9449 §7.1: a bound token is presented with its key
  return activeAgent(ctx, await ctx.storage.agents.getByClientId(access.record.clientId), `client '${truncate(access.record.clientId)}'`, users);
}

/**
 * RFC 8725 §3.9, RFC 8707: an access token is a credential for its audience. A token the agent's
 * client obtained for a resource server R was handed to R: accepting it as actor_token would let R
 * (or whoever R leaks it to) act as the agent — token passthrough. So an access-token actor is
 * accepted only when it is meant for this exchange: issued to the requesting client itself (the
 * agent's own client exchanging), or addressed to this server alone — a client credentials token
 * requested without `resource` carries the issuer as its only audience (tokens/access-token.ts
 * defaultAudience), which is how an agent obtains one to act through another client. A token
 * whose audience also names a resource server was given to that server too, and is refused.
 */
function checkActorAudience(ctx: ServerContext, requester: ClientRecord, issuedTo: string, payload: JWTPayload): void {
  if (issuedTo === requester.clientId) return;
  if (hasSoleAudience(payload.aud, [ctx.config.issuer])) return;
  throw new InvalidRequestError(
    `The actor_token was issued to another client for '${truncate(audiencesOf(payload).join(' '))}': an agent's access token acts only as the requesting client's own token or when its only audience is this authorization server (request it without \`resource\`).`,
  );
}

function joseReason(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  const claim = typeof err === 'object' && err !== null && 'claim' in err ? String((err as { claim: unknown }).claim) : '';
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'it has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `its "${claim}" claim is not acceptable`;
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'it is not signed by a key of the agent';
    default:
      return 'it is malformed or uses an algorithm not accepted';
  }
}
