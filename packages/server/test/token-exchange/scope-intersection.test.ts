/**
 * DL-1, DL-4: granted scope = requested ∩ subject ∩ agent ∩ client policy, never broader. The
 * property test generates random scope sets for every party and checks the exact intersection.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidScopeError } from '@mandate/protocol';
import { exchangeScope, intersectBounds } from '../../src/grants/token-exchange/scope.ts';

const UNIVERSE = ['openid', 'profile', 'email', 'mcp:read', 'mcp:write', 'mcp:admin', 'files:read', 'files:write', 'crm:read', 'crm:write'];
const scopeSet = fc.subarray(UNIVERSE).map((a) => new Set(a));

function intersection(...sets: ReadonlySet<string>[]): Set<string> {
  return new Set(UNIVERSE.filter((s) => sets.every((set) => set.has(s))));
}

describe('RFC 8693 §2.1 scope: an exchange never escapes the intersection (property)', () => {
  it('granted ⊆ request, subject, agent and client; equal to their intersection when non-empty', () => {
    fc.assert(
      fc.property(fc.option(scopeSet, { nil: null }), scopeSet, fc.option(scopeSet, { nil: null }), scopeSet, (requested, subject, agent, client) => {
        const bounds = [
          { name: 'subject_token', scopes: subject },
          { name: 'agent', scopes: agent },
          { name: 'client', scopes: client },
        ];
        const requestedScope = requested === null ? null : [...requested].join(' ');
        const expected = intersection(...[requested !== null && requested.size > 0 ? requested : null, subject, agent, client].filter((s): s is Set<string> => s !== null));
        if (expected.size === 0) {
          expect(() => exchangeScope(requestedScope, bounds)).toThrow(InvalidScopeError);
          return;
        }
        const { granted } = exchangeScope(requestedScope, bounds);
        for (const s of granted) {
          if (requested !== null && requested.size > 0) expect(requested.has(s)).toBe(true);
          expect(subject.has(s)).toBe(true);
          if (agent !== null) expect(agent.has(s)).toBe(true);
          expect(client.has(s)).toBe(true);
        }
        expect([...granted].sort()).toEqual([...expected].sort());
      }),
      { numRuns: 2000 },
    );
  });
});

describe('AU-2 narrowing reasons', () => {
  it('names every dropped scope and the parties that refused it', () => {
    const d = intersectBounds(new Set(['mcp:read', 'mcp:write', 'mcp:admin']), [
      { name: 'subject_token', scopes: new Set(['mcp:read', 'mcp:write']) },
      { name: 'agent agt_x', scopes: new Set(['mcp:read']) },
    ]);
    expect([...d.granted]).toEqual(['mcp:read']);
    expect(d.narrowed).toEqual(['mcp:write: not allowed by agent agt_x', 'mcp:admin: not allowed by subject_token, agent agt_x']);
  });

  it('never grants offline_access: exchanges come without refresh tokens', () => {
    const d = exchangeScope('offline_access mcp:read', [{ name: 'subject_token', scopes: new Set(['offline_access', 'mcp:read']) }]);
    expect(d.scope).toBe('mcp:read');
    expect(d.narrowed).toEqual(['offline_access: exchanged tokens come without refresh tokens']);
  });

  it('an empty result is invalid_scope with the reasons', () => {
    expect(() => exchangeScope('mcp:admin', [{ name: 'agent agt_x', scopes: new Set(['mcp:read']) }])).toThrow(/No scope is left.*mcp:admin: not allowed by agent agt_x/);
  });

  it('a malformed scope parameter is invalid_scope', () => {
    expect(() => exchangeScope('bad"scope', [])).toThrow(InvalidScopeError);
  });
});
