/**
 * DL-1 for federated subjects (property): an exchange of an external ID token or an ID-JAG never
 * escapes the intersection of
 *   the request (when non-empty) ∩ the issuer policy's scopes for the requesting client
 *   ∩ the ID-JAG's `scope` (when it has one) ∩ the client's policy at each target (per-audience
 *   `clientScopes`, else its registered scope) ∩ each target's ceiling ∩ `scopes_supported`,
 * never carries `offline_access` and never comes with a refresh token (a federated subject rests
 * on no grant of ours). The expected set is computed here from the configuration, independently of
 * grants/token-exchange/bounds.ts; the exchange runs over HTTP against the real server.
 * scope-intersection.test.ts proves the same for the pure intersection with our own tokens.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accessTokenClaims } from '../token/fixtures.ts';
import { auth, exchange, FILES, MCP, TT } from './fixtures.ts';
import { JAG_ISSUER, OP, OP_NATIVE_CLIENT_ID, PUBLIC_CLIENT, useFederatedExchangeServer, type FederatedExchangeServer } from './federation-fixtures.ts';

let f: FederatedExchangeServer;
useFederatedExchangeServer((server) => {
  f = server;
});

const UNIVERSE = ['openid', 'offline_access', 'mcp:read', 'mcp:write', 'mcp:admin', 'files:read', 'files:write', 'crm:read', 'crm:write', 'not:supported'];
const scopeList = fc.subarray(UNIVERSE);

/** The client's limit at one target, read from the configuration (tokenExchange.resources). */
async function targetBound(clientId: string, target: string): Promise<Set<string>> {
  const config = f.server.ctx.config;
  const policy = config.tokenExchange.resources.find((r) => r.resource === target);
  const client = await f.server.ctx.clients.get(clientId);
  const registered = client!.scope.trim() === '' ? config.scopesSupported : client!.scope.split(' ');
  const perClient = new Set(policy?.clientScopes?.[clientId] ?? registered);
  return policy?.scopes ? new Set([...perClient].filter((s) => policy.scopes!.includes(s))) : perClient;
}

function issuerPolicy(kind: 'id_token' | 'id-jag', clientId: string): string[] {
  const federation = f.server.ctx.config.federation;
  const issuer = kind === 'id_token' ? federation.idTokenIssuers.find((i) => i.issuer === OP) : federation.idJagIssuers.find((i) => i.issuer === JAG_ISSUER);
  return issuer!.clients.find((c) => c.clientId === clientId)!.scopes;
}

const cases = fc.record({
  kind: fc.constantFrom('id_token' as const, 'id-jag' as const),
  publicClient: fc.boolean(),
  requested: fc.option(scopeList, { nil: null }),
  jagScope: fc.option(scopeList, { nil: null }),
  targets: fc.subarray([MCP, FILES], { minLength: 1 }),
});

describe('DL-1: a federated exchange never escapes the intersection (property, over HTTP)', () => {
  it('granted = request ∩ issuer policy ∩ ID-JAG scope ∩ client policy per target ∩ ceilings; no offline access', async () => {
    let issued = 0;
    await fc.assert(
      fc.asyncProperty(cases, async ({ kind, publicClient, requested, jagScope, targets }) => {
        // An ID-JAG is refused for a public client (its client_id binding would mean nothing), and the
        // public client's ID token policy allows only MCP: those combinations are other tests' business.
        const clientId = publicClient && kind === 'id_token' ? PUBLIC_CLIENT : 'orchestrator';
        const usedTargets = clientId === PUBLIC_CLIENT ? [MCP] : targets;
        const subject =
          kind === 'id_token'
            ? await f.idToken(clientId === PUBLIC_CLIENT ? { aud: OP_NATIVE_CLIENT_ID } : {})
            : await f.idJag({ client_id: clientId, scope: jagScope === null ? undefined : jagScope.join(' '), resource: [MCP, FILES] });
        const form = {
          subject_token: subject,
          subject_token_type: kind === 'id_token' ? TT.idToken : TT.idJag,
          resource: usedTargets,
          ...(requested !== null ? { scope: requested.join(' ') } : {}),
          ...(clientId === PUBLIC_CLIENT ? { client_id: PUBLIC_CLIENT } : {}),
        };
        const res = await exchange(f.server, form, clientId === PUBLIC_CLIENT ? {} : auth.orchestrator);

        const bounds: Set<string>[] = [new Set(issuerPolicy(kind, clientId)), new Set(f.server.ctx.config.scopesSupported)];
        if (kind === 'id-jag' && jagScope !== null) bounds.push(new Set(jagScope));
        for (const target of usedTargets) bounds.push(await targetBound(clientId, target));
        if (requested !== null && requested.length > 0) bounds.push(new Set(requested));
        const expected = UNIVERSE.filter((s) => s !== 'offline_access' && bounds.every((b) => b.has(s)));

        if (expected.length === 0) {
          expect(res.status, JSON.stringify(res.body)).toBe(400);
          expect(res.body.error).toBe('invalid_scope');
          return;
        }
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        const granted = String(res.body.scope).split(' ');
        expect(granted.sort()).toEqual([...expected].sort());
        expect(String(accessTokenClaims(res.body.access_token).scope).split(' ').sort()).toEqual([...expected].sort());
        expect(res.body.refresh_token).toBeUndefined();
        issued += 1;
      }),
      { numRuns: 120 },
    );
    expect(issued).toBeGreaterThan(0); // the property did not only see refusals
  });
});
