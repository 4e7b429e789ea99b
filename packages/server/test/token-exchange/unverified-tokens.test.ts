/**
 * RFC 8693 §2.2.2: a subject_token or actor_token that cannot even be read as a JWT — not a compact
 * JWS, bad base64url, a payload that is not a JSON object, no string `iss`, too long — is
 * invalid_request with a clear reason, never a 500, audited, and nothing is issued. The reads are
 * src/tokens/unverified-jwt.ts; the ID token dispatcher reads the payload once and hands it on.
 */
import { describe, it } from 'vitest';
import { b64, signAssertion } from '../jwt-bearer/support.ts';
import { expectRefused, OP, subjectTokenSender, useFederatedExchangeServer, type FederatedExchangeServer } from './federation-fixtures.ts';
import { auth, createAgent, exchange, MCP, TT, userToken, type TestAgent } from './fixtures.ts';

let f: FederatedExchangeServer;
let agent: TestAgent;
useFederatedExchangeServer(async (server) => {
  f = server;
  agent = await createAgent(f.server, f.server.alice);
});

const HEADER = { alg: 'ES256', typ: 'JWT' };
const SIG = 'c2ln';
const TOO_LONG = 16 * 1024 + 1;

/** Garbage every reader refuses as malformed, with an issuer the server trusts where there is a payload. */
const malformed: [string, () => string][] = [
  ['not a JWT', () => 'not-a-jwt'],
  ['two segments', () => `${b64(HEADER)}.${b64({ iss: OP })}`],
  ['bad base64url in the payload', () => `${b64(HEADER)}.%%%.${SIG}`],
  ['a JSON array payload', () => `${b64(HEADER)}.${b64([{ iss: OP }])}.${SIG}`],
];
const noIssuer: [string, () => string][] = [
  ['iss a number', () => `${b64(HEADER)}.${b64({ iss: 42, sub: 'x' })}.${SIG}`],
  ['no iss', () => `${b64(HEADER)}.${b64({ sub: 'x' })}.${SIG}`],
];

describe('RFC 8693 §2.2.2 an unreadable ID token as subject_token', () => {
  const send = subjectTokenSender(() => f.server, TT.idToken);
  // Without a readable `iss` there is no other issuer to route to: it is judged as one of ours.
  for (const [name, make] of [...malformed, ...noIssuer, ['too long', () => `${b64(HEADER)}.${b64({ iss: OP, pad: 'x'.repeat(TOO_LONG) })}.${SIG}`] as const]) {
    it(`${name}: invalid_request, not a valid ID token of this server`, async () => {
      await expectRefused(f.server, () => send(make()), 'invalid_request', /^The subject_token is not a valid ID token of this server: /, TT.idToken);
    });
  }

  it('a trusted issuer in a readable payload, but a malformed header: the federated reader refuses it', async () => {
    const token = `%%%.${b64(f.idTokenClaims())}.${SIG}`;
    await expectRefused(f.server, () => send(token), 'invalid_request', /^The subject_token is not a well-formed signed ID token with an "iss" claim\.$/, TT.idToken);
  });

  it('a trusted issuer with a well-formed header: verified with that issuer\'s keys (the payload read once is enough to route)', async () => {
    const token = await signAssertion({ ...f.opKey, kid: 'unknown-kid' }, f.idTokenClaims(), { typ: 'JWT' });
    await expectRefused(f.server, () => send(token), 'invalid_request', /not an acceptable ID token of https:\/\/login\.company-a\.example/, TT.idToken);
  });
});

describe('RFC 8693 §2.2.2 an unreadable ID-JAG as subject_token', () => {
  const send = subjectTokenSender(() => f.server, TT.idJag);
  for (const [name, make] of [...malformed, ...noIssuer]) {
    it(`${name}: invalid_request`, async () => {
      await expectRefused(f.server, () => send(make()), 'invalid_request', /^The subject_token is not a well-formed signed ID-JAG with an "iss" claim\.$/, TT.idJag);
    });
  }

  it('too long: invalid_request before it is decoded', async () => {
    await expectRefused(f.server, () => send('x'.repeat(TOO_LONG)), 'invalid_request', /^The subject_token is longer than 16384 characters\.$/, TT.idJag);
  });
});

describe('RFC 8693 §2.2.2 an unreadable actor_token (JWT)', () => {
  const sendActor = async (actorToken: string) => {
    const { token } = await userToken(f.server);
    return exchange(f.server, { subject_token: token, subject_token_type: TT.accessToken, actor_token: actorToken, actor_token_type: TT.jwt, resource: MCP }, auth.orchestrator);
  };
  for (const [name, make] of malformed) {
    it(`${name}: invalid_request, not a JWT`, async () => {
      await expectRefused(f.server, () => sendActor(make()), 'invalid_request', /^The actor_token is not a JWT\.$/, TT.accessToken);
    });
  }
  for (const [name, make] of noIssuer) {
    it(`${name}: invalid_request, no iss naming the agent`, async () => {
      await expectRefused(f.server, () => sendActor(make()), 'invalid_request', /^The actor_token has no iss naming the agent\.$/, TT.accessToken);
    });
  }

  it('longer than 16384 characters: refused before the agent is looked up', async () => {
    const huge = await agent.assertion({ pad: 'x'.repeat(TOO_LONG) });
    await expectRefused(f.server, () => sendActor(huge), 'invalid_request', /^The actor_token is longer than 16384 characters\.$/, TT.accessToken);
  });
});
