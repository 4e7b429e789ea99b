/**
 * The property both federated subject token kinds must hold (federated-subject.test.ts for ID
 * tokens, id-jag-subject.test.ts for ID-JAGs): whatever is presented as subject_token — junk,
 * unsigned or wrongly signed JWTs with arbitrary claims, a stranger's signature under the trusted
 * kid, a genuine token with one character flipped — the answer is a 400 with an RFC 8693 §2.2.2
 * error, never a token, never a 5xx, and nothing is audited as exchanged.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { b64, signAssertion, type IssuerKey } from '../jwt-bearer/support.ts';
import { flipBase64urlChar } from '../helpers/arbitraries.ts';
import { auditCount } from './federation-fixtures.ts';
import { auth, exchange } from './fixtures.ts';
import type { TokenServer } from '../token/fixtures.ts';

/** Any JSON value a hostile issuer might put in a claim or header parameter. */
export const anyJson = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }), fc.object({ maxDepth: 1, maxKeys: 3 }));

/** A NumericDate within `spread` seconds of the server's clock, or any JSON value. */
export const timeAround = (now: () => number, spread: number) => fc.oneof(fc.integer({ min: -spread, max: spread }).map((d) => now() + d), anyJson);

export interface HostileTokenParts {
  /** Header parameters; a kid of 'TRUSTED' is replaced by `trusted.kid`. */
  header: fc.Arbitrary<Record<string, unknown>>;
  claims: fc.Arbitrary<Record<string, unknown>>;
  /** The key the server trusts (only its kid is used) and one it does not. */
  trusted: IssuerKey;
  stranger: IssuerKey;
  /** `typ` values for the tokens the stranger signs. */
  strangerTyps: [string, ...string[]];
  /** A token the server accepted (or would accept) whose characters get flipped. */
  genuine: string;
  /** Also present `genuine` unchanged (a used, single-use token). */
  replay?: boolean;
}

export function hostileTokens(p: HostileTokenParts): fc.Arbitrary<() => Promise<string> | string> {
  const tampered: ('sig' | 'payload' | 'replay')[] = p.replay ? ['sig', 'payload', 'replay'] : ['sig', 'payload'];
  return fc.oneof(
    fc.string({ maxLength: 200 }).map((s) => () => s),
    fc.tuple(p.header, p.claims, fc.string({ maxLength: 40 })).map(([h, c, sig]) => () => `${b64(h.kid === 'TRUSTED' ? { ...h, kid: p.trusted.kid } : h)}.${b64(c)}.${Buffer.from(sig).toString('base64url')}`),
    // Properly signed by a key the server does not trust, presenting the trusted key's kid.
    fc.tuple(p.claims, fc.constantFrom(...p.strangerTyps)).map(([c, typ]) => () => signAssertion({ ...p.stranger, kid: p.trusted.kid }, c, { typ })),
    // The genuine token, replayed as is or with one character of its signature or payload changed.
    fc.tuple(fc.nat(), fc.constantFrom(...tampered)).map(([pos, what]) => () => {
      if (what === 'replay') return p.genuine;
      const [h, pl, s] = p.genuine.split('.') as [string, string, string];
      const flip = (part: string): string => flipBase64urlChar(part, pos);
      return what === 'sig' ? `${h}.${pl}.${flip(s)}` : `${h}.${flip(pl)}.${s}`;
    }),
  );
}

/** Presents every token by every exchanger, with or without a scope: 400, an RFC error, no token, no audit. */
export async function expectAllRefused(server: TokenServer, tokens: fc.Arbitrary<() => Promise<string> | string>, form: { subject_token_type: string; resource: string }): Promise<void> {
  const before = await auditCount(server, 'token_exchanged');
  const presenter = fc.constantFrom(auth.orchestrator, auth.host, auth.mcp);
  await fc.assert(
    fc.asyncProperty(tokens, presenter, fc.option(fc.constantFrom('mcp:read', 'files:read', 'x y'), { nil: undefined }), async (make, options, scope) => {
      const res = await exchange(server, { subject_token: await make(), ...form, ...(scope ? { scope } : {}) }, options);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(['invalid_request', 'invalid_target', 'invalid_scope'], JSON.stringify(res.body)).toContain(res.body.error);
      expect(res.body.access_token).toBeUndefined();
    }),
    { numRuns: 200 },
  );
  expect(await auditCount(server, 'token_exchanged')).toBe(before);
}
