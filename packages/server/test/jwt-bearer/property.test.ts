/**
 * Property (RFC 7523 §3, RFC 7521 §4.1.1): whatever arrives in `assertion` — random text,
 * JWT-shaped garbage with arbitrary headers and claims, JWTs signed by keys the server does not
 * trust (claiming a trusted `kid`), tampered genuine assertions, replays of used ones — never
 * yields a token and never a 5xx: always a 400 with an RFC error code, and nothing is issued.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_SUB, b64, CI_ISSUER, CI_SUB, CLUSTER_ISSUER, IDP_ISSUER, issuedCount, issuerKey, PARTNER_SECRET, signAssertion, startFederationServer, type FederationServer, type IssuerKey } from './support.ts';
import { flipBase64urlChar } from '../helpers/arbitraries.ts';

const ERRORS = new Set(['invalid_request', 'invalid_grant', 'invalid_scope', 'invalid_target', 'invalid_client', 'unauthorized_client']);

let f: FederationServer;
let strangers: IssuerKey[];
let used: string[];
beforeAll(async () => {
  f = await startFederationServer();
  strangers = [await issuerKey('ES256'), await issuerKey('EdDSA'), await issuerKey('RS256')];
  // Genuine assertions, used once here so every later presentation is a replay.
  used = [await signAssertion(f.ciKey, f.workloadClaims(CI_SUB)), await signAssertion(f.idpKey, f.idJagClaims(), { typ: 'oauth-id-jag+jwt' })];
  expect((await f.token({ client_id: 'ci-deployer', assertion: used[0] })).status).toBe(200);
  expect((await f.token({ assertion: used[1] }, ['partner-app', PARTNER_SECRET])).status).toBe(200);
});
afterAll(async () => {
  await f.close();
});

const jsonValue = fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }), fc.object({ maxDepth: 1, maxKeys: 3 }));
const issuers = fc.constantFrom(CI_ISSUER, CLUSTER_ISSUER, IDP_ISSUER, 'https://evil.example', '');
const subs = fc.constantFrom(CI_SUB, AGENT_SUB, 'usr_in_company_a', 'admin', '');
const times = (now: () => number) => fc.oneof(fc.integer({ min: -4000, max: 4000 }).map((d) => now() + d), jsonValue);

/** Claims drawn mostly from plausible values, so the deeper checks are reached. */
const claims = fc.record(
  {
    iss: fc.oneof(issuers, jsonValue),
    sub: fc.oneof(subs, jsonValue),
    aud: fc.oneof(fc.constantFrom('SELF', 'TOKEN', 'https://other.example'), jsonValue),
    exp: times(() => f.now()),
    iat: times(() => f.now()),
    nbf: times(() => f.now()),
    jti: fc.oneof(fc.uuid(), jsonValue),
    client_id: fc.oneof(fc.constantFrom('partner-app', 'ci-deployer'), jsonValue),
    email: fc.oneof(fc.constant('alice@example.com'), jsonValue),
    scope: fc.oneof(fc.constantFrom('mcp:read', 'mcp:read profile', 'openid'), jsonValue),
    resource: fc.oneof(fc.constant('https://mcp.example/mcp'), jsonValue),
  },
  { requiredKeys: [] },
).map((c) => ({ ...c, aud: c.aud === 'SELF' ? f.srv.issuer : c.aud === 'TOKEN' ? f.srv.tokenUrl : c.aud }));

const header = fc.record(
  { alg: fc.oneof(fc.constantFrom('none', 'HS256', 'ES256', 'EdDSA', 'RS256'), jsonValue), typ: fc.oneof(fc.constantFrom('JWT', 'oauth-id-jag+jwt'), jsonValue), kid: fc.oneof(fc.constant('TRUSTED'), jsonValue) },
  { requiredKeys: [] },
);

type Make = () => Promise<string> | string;

const assertion: fc.Arbitrary<Make> = fc.oneof(
  fc.string({ maxLength: 200 }).map((s) => () => s),
  fc.tuple(header, claims, fc.string({ maxLength: 40 })).map(([h, c, sig]) => () => `${b64(h)}.${b64(c)}.${Buffer.from(sig).toString('base64url')}`),
  // Properly signed, but by a key the server does not trust, presenting a trusted key's kid.
  fc.tuple(fc.nat({ max: 2 }), claims, fc.constantFrom('JWT', 'oauth-id-jag+jwt'), fc.constantFrom(0, 1, 2)).map(([i, c, typ, trusted]) => () => {
    const kid = [f.ciKey, f.clusterKey, f.idpKey][trusted]!.kid;
    return signAssertion({ ...strangers[i]!, kid }, c, { typ });
  }),
  // A genuine assertion with one character of its signature or payload changed, or replayed as is.
  fc.tuple(fc.nat({ max: 1 }), fc.nat(), fc.constantFrom('sig', 'payload', 'replay')).map(([i, pos, what]) => () => {
    const jwt = used[i]!;
    if (what === 'replay') return jwt;
    const [h, p, s] = jwt.split('.') as [string, string, string];
    const flip = (part: string): string => flipBase64urlChar(part, pos);
    return what === 'sig' ? `${h}.${p}.${flip(s)}` : `${h}.${flip(p)}.${s}`;
  }),
);

const presenter = fc.constantFrom<[string, string | undefined]>(['ci-deployer', undefined], ['agent-runner', undefined], ['partner-app', PARTNER_SECRET]);

describe('RFC 7523 §3 property: arbitrary assertions never yield a token or a 5xx', () => {
  it('answers 400 with an RFC error and issues nothing', async () => {
    const before = await issuedCount(f);
    await fc.assert(
      fc.asyncProperty(assertion, presenter, fc.option(fc.constantFrom('mcp:read', 'openid', 'x y'), { nil: undefined }), async (make, [clientId, secret], scope) => {
        const form = { assertion: await make(), scope, ...(secret === undefined ? { client_id: clientId } : {}) };
        const res = await f.token(form, secret === undefined ? undefined : [clientId, secret]);
        expect(res.status).toBe(400);
        expect(ERRORS, JSON.stringify(res.body)).toContain(res.body.error);
        expect(res.body.access_token).toBeUndefined();
      }),
      { numRuns: 250 },
    );
    expect(await issuedCount(f)).toBe(before);
  });
});
