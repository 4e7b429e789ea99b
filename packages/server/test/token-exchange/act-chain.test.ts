/** The actor chain in normal form and back (RFC 8693 §4.1), loops and depth limits — pure functions. */
import { describe, expect, it } from 'vitest';
import { OAuthError } from '@mandate/protocol';
import { chainOf, extendChain, flattenAct, nestActors, profileClaims } from '../../src/grants/token-exchange/act-chain.ts';

const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof OAuthError) return `${err.error}: ${err.description}`;
    throw err;
  }
  throw new Error('expected a refusal');
};

describe('RFC 8693 §4.1 act claim nesting', () => {
  it('nests the current actor outermost and prior actors inside', () => {
    expect(nestActors([{ sub: 'agt_c' }, { sub: 'agt_b' }, { sub: 'agt_a' }])).toEqual({ sub: 'agt_c', act: { sub: 'agt_b', act: { sub: 'agt_a' } } });
    expect(nestActors([])).toBeUndefined();
  });

  it('flattens a nested act claim back, current first, keeping iss', () => {
    expect(flattenAct({ sub: 'agt_c', iss: 'https://as', act: { sub: 'agt_b' } })).toEqual([{ sub: 'agt_c', iss: 'https://as' }, { sub: 'agt_b' }]);
  });

  it('refuses a malformed act claim', () => {
    expect(refusal(() => flattenAct({ act: { sub: 'x' } }))).toMatch(/^invalid_request: .*malformed act/);
    expect(refusal(() => flattenAct('agt_x'))).toMatch(/malformed act/);
  });

  it('refuses an act chain too deep to read', () => {
    let deep: Record<string, unknown> = { sub: 'agt_0' };
    for (let i = 1; i < 100; i++) deep = { sub: `agt_${i}`, act: deep };
    expect(refusal(() => flattenAct(deep))).toMatch(/too deep/);
  });
});

describe('DL-2 impersonation and delegation profiles', () => {
  const chain = { principal: 'usr_alice', actors: [{ sub: 'agt_orch' }, { sub: 'agt_host' }] };

  it('impersonation: sub = the user, act = every actor', () => {
    expect(profileClaims(chain, 'impersonation')).toEqual({ sub: 'usr_alice', act: { sub: 'agt_orch', act: { sub: 'agt_host' } } });
  });

  it('delegation: sub = the current actor, on_behalf_of = the user, act = the prior actors', () => {
    expect(profileClaims(chain, 'delegation')).toEqual({ sub: 'agt_orch', on_behalf_of: 'usr_alice', act: { sub: 'agt_host' } });
  });

  it('reads both profiles back into the same chain', () => {
    expect(chainOf(profileClaims(chain, 'impersonation'))).toEqual(chain);
    expect(chainOf(profileClaims(chain, 'delegation'))).toEqual(chain);
    expect(chainOf({ sub: 'usr_alice' })).toEqual({ principal: 'usr_alice', actors: [] });
  });
});

describe('DL-4 chain growth: loops and maximum depth', () => {
  const base = { principal: 'usr_alice', actors: [{ sub: 'agt_host' }] };

  it('adds the new actor outermost', () => {
    expect(extendChain(base, { sub: 'agt_orch' }, 5)).toEqual({ principal: 'usr_alice', actors: [{ sub: 'agt_orch' }, { sub: 'agt_host' }] });
  });

  it('without a new actor the chain is unchanged', () => {
    expect(extendChain(base, null, 5)).toBe(base);
  });

  it('refuses an actor already in the chain (loop)', () => {
    expect(refusal(() => extendChain(base, { sub: 'agt_host' }, 5))).toMatch(/^invalid_request: Delegation loop refused/);
  });

  it('refuses an actor acting for itself (self-delegation)', () => {
    expect(refusal(() => extendChain({ principal: 'agt_x', actors: [] }, { sub: 'agt_x' }, 5))).toMatch(/Self-delegation refused/);
  });

  it('refuses a chain longer than the limit, accepts one exactly at it', () => {
    expect(extendChain(base, { sub: 'agt_orch' }, 2).actors).toHaveLength(2);
    expect(refusal(() => extendChain(base, { sub: 'agt_orch' }, 1))).toMatch(/would be 2 deep; at most 1/);
  });
});
