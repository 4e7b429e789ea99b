/**
 * A real Mandate authorization server for an interop test (SQLite, loopback), plus test users.
 * The server comes from the server package's own test helper, so every interop test runs against
 * exactly what `npm start` assembles; only the database and the port are per test.
 */
import { randomBytes } from 'node:crypto';
import { generateSecret } from 'otplib';
import type { MandateConfigInput } from '../../../packages/server/src/config/config.ts';
import { hashPassword } from '../../../packages/server/src/crypto/password.ts';
import { randomId } from '../../../packages/server/src/crypto/hash.ts';
import type { ServerContext } from '../../../packages/server/src/context.ts';
import { startTestServer, type Backend, type TestServer, type TestServerOptions } from '../../../packages/server/test/helpers/test-server.ts';

export { freePort } from '../../../packages/server/test/helpers/test-server.ts';
export type { TestServer };

/** A person who can sign in: password + TOTP (HU-1). */
export interface TestUser {
  id: string;
  email: string;
  password: string;
  /** Base32 TOTP secret, as an authenticator app would hold it. */
  totpSecret: string;
}

/** `options.hostname: 'localhost'` for passkey tests (an IP address is not a WebAuthn RP ID). */
export async function startAuthorizationServer(overrides: Partial<MandateConfigInput> = {}, backend: Backend = 'sqlite', options: TestServerOptions = {}): Promise<TestServer> {
  return startTestServer(overrides, backend, options);
}

/**
 * Creates a user the way an operator would: scrypt password hash, TOTP secret encrypted at rest.
 * Each flow gets its own user, because a TOTP code that worked once is refused afterwards
 * (RFC 6238 §5.2) and two logins inside one 30-second step would otherwise collide.
 */
export async function createUser(ctx: ServerContext, name = 'Interop User'): Promise<TestUser> {
  const id = randomId('usr');
  const email = `${id.toLowerCase().replace(/[^a-z0-9]/g, '')}@interop.example`;
  const password = randomBytes(18).toString('base64url');
  const totpSecret = generateSecret();
  const t = ctx.now();
  await ctx.storage.users.create({
    id,
    email,
    name,
    passwordHash: await hashPassword(password),
    totpSecretEncrypted: await ctx.envelope.encrypt(totpSecret, 'totp'),
    isAdmin: false,
    disabled: false,
    createdAt: t,
    updatedAt: t,
  });
  return { id, email, password, totpSecret };
}
