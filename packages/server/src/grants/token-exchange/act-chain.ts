/**
 * The actor chain (RFC 8693 §4.1). A token says who it is about and, through `act`, who is acting:
 * the outermost `act` is the current actor, each nested `act` a prior one. Mandate reads any of its
 * tokens into one normal form — the principal (usually the user) and the actors, newest first —
 * and writes that form back as one of two profiles (profile.ts):
 *   impersonation: sub = principal, act = { sub: newest, act: { sub: older, … } }
 *   delegation:    sub = newest actor, on_behalf_of = principal, act = the older actors
 * Pure functions: no storage, no clock.
 */
import { InvalidRequestError } from '@mandate/protocol';

/** One actor's identity (§4.1: "claims within the act claim pertain only to the identity of the actor"). */
export interface Actor {
  sub: string;
  iss?: string;
}

/** The `act` claim: an actor, optionally with the prior actor nested. */
export interface ActClaim extends Actor {
  act?: ActClaim;
}

/** The claim naming the principal of a delegation-profile token (sub = the agent). */
export const ON_BEHALF_OF_CLAIM = 'on_behalf_of';

/** Upper bound on nesting read from a token: deeper input is refused rather than walked. */
export const MAX_READABLE_DEPTH = 64;

/** Flattens an `act` claim into actors, current (outermost) first. Malformed → invalid_request. */
export function flattenAct(act: unknown): Actor[] {
  const out: Actor[] = [];
  let node: unknown = act;
  while (node !== undefined) {
    if (typeof node !== 'object' || node === null || typeof (node as { sub?: unknown }).sub !== 'string') {
      throw new InvalidRequestError('The subject token carries a malformed act claim (RFC 8693 §4.1).');
    }
    const { sub, iss, act: inner } = node as { sub: string; iss?: unknown; act?: unknown };
    out.push(typeof iss === 'string' ? { sub, iss } : { sub });
    if (out.length > MAX_READABLE_DEPTH) throw new InvalidRequestError('The subject token act chain is too deep to read.');
    node = inner;
  }
  return out;
}

/** Nests actors (current first) into an `act` claim; undefined when there are none. */
export function nestActors(actors: readonly Actor[]): ActClaim | undefined {
  let claim: ActClaim | undefined;
  for (let i = actors.length - 1; i >= 0; i--) {
    const actor = actors[i]!;
    claim = claim ? { ...actor, act: claim } : { ...actor };
  }
  return claim;
}

/** A token's chain in normal form. */
export interface Chain {
  /** Who the token is ultimately about (the user, or a service for tokens without one). */
  principal: string;
  /** Actors, the current one first. */
  actors: Actor[];
}

/** Reads a token's claims into normal form: a delegation token's `sub` is its current actor. */
export function chainOf(claims: { sub?: unknown; act?: unknown; [ON_BEHALF_OF_CLAIM]?: unknown }): Chain {
  if (typeof claims.sub !== 'string') throw new InvalidRequestError('The subject token has no subject.');
  const prior = claims.act === undefined ? [] : flattenAct(claims.act);
  const onBehalfOf = claims[ON_BEHALF_OF_CLAIM];
  if (onBehalfOf === undefined) return { principal: claims.sub, actors: prior };
  if (typeof onBehalfOf !== 'string') throw new InvalidRequestError(`The subject token carries a malformed ${ON_BEHALF_OF_CLAIM} claim.`);
  return { principal: onBehalfOf, actors: [{ sub: claims.sub }, ...prior] };
}

/**
 * Adds the new actor (outermost, §4.1) and enforces the chain's rules: no loops — an actor already
 * in the chain, or acting for itself — and no chain longer than `maxDepth`.
 */
export function extendChain(chain: Chain, actor: Actor | null, maxDepth: number): Chain {
  if (actor === null) {
    checkDepth(chain.actors.length, maxDepth);
    return chain;
  }
  if (actor.sub === chain.principal) throw new InvalidRequestError(`Self-delegation refused: the actor '${actor.sub}' is the token's own subject.`);
  if (chain.actors.some((a) => a.sub === actor.sub)) throw new InvalidRequestError(`Delegation loop refused: the actor '${actor.sub}' is already in the act chain.`);
  const actors = [actor, ...chain.actors];
  checkDepth(actors.length, maxDepth);
  return { principal: chain.principal, actors };
}

function checkDepth(depth: number, maxDepth: number): void {
  if (depth > maxDepth) throw new InvalidRequestError(`The actor chain would be ${depth} deep; at most ${maxDepth} is allowed for this agent and target.`);
}

export type Profile = 'impersonation' | 'delegation';

/** The identity claims of the issued token for a profile. */
export function profileClaims(chain: Chain, profile: Profile): { sub: string; act?: ActClaim; [ON_BEHALF_OF_CLAIM]?: string } {
  if (profile === 'impersonation' || chain.actors.length === 0) {
    const act = nestActors(chain.actors);
    return act ? { sub: chain.principal, act } : { sub: chain.principal };
  }
  const [current, ...prior] = chain.actors as [Actor, ...Actor[]];
  const act = nestActors(prior);
  return { sub: current.sub, [ON_BEHALF_OF_CLAIM]: chain.principal, ...(act ? { act } : {}) };
}
