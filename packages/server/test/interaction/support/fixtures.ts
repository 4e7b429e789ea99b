/**
 * Test data for the authorization endpoint and the interaction pages, written through the real
 * storage of a real test server: users with scrypt passwords and envelope-encrypted TOTP secrets,
 * clients as the registry stores them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { generate, generateSecret } from 'otplib';
import type { ServerContext } from '../../../src/context.ts';
import { hashPassword } from '../../../src/crypto/password.ts';
import type { ClientRecord, UserRecord } from '../../../src/storage/records.ts';
import { randomToken, sha256 } from '../../../src/crypto/hash.ts';
import { Acr } from '@mandate/protocol';
import type { TestBrowser } from './browser.ts';
import { clientRecord } from '../../helpers/client-record.ts';

export interface TestUser {
  record: UserRecord;
  email: string;
  password: string;
  /** Base32; null when the user has no TOTP enrolled. */
  totpSecret: string | null;
}

let counter = 0;

export async function createUser(ctx: ServerContext, options: { totp?: boolean; disabled?: boolean } = {}): Promise<TestUser> {
  counter += 1;
  const email = `user${counter}-${randomBytes(3).toString('hex')}@example.com`;
  const password = `correct horse ${randomBytes(4).toString('hex')}`;
  const totpSecret = options.totp === false ? null : generateSecret();
  const now = ctx.now();
  const record: UserRecord = {
    id: `usr_${randomBytes(8).toString('hex')}`,
    email,
    name: `User ${counter}`,
    passwordHash: await hashPassword(password),
    totpSecretEncrypted: totpSecret === null ? null : await ctx.envelope.encrypt(totpSecret, 'totp'),
    isAdmin: false,
    disabled: options.disabled ?? false,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.storage.users.create(record);
  return { record, email, password, totpSecret };
}

export async function createClient(ctx: ServerContext, overrides: Partial<ClientRecord> = {}): Promise<ClientRecord> {
  const record = clientRecord(
    {
      clientId: `client_${randomBytes(6).toString('hex')}`,
      clientName: 'Example Notes App',
      redirectUris: ['https://app.example.com/callback'],
      grantTypes: ['authorization_code', 'refresh_token'],
      ...overrides,
    },
    ctx.now(),
  );
  await ctx.storage.clients.create(record);
  return record;
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A TOTP code for the user at the given time step offset (0 = now, -1 = previous step). */
export async function totpCode(user: TestUser, stepOffset = 0): Promise<string> {
  if (user.totpSecret === null) throw new Error('user has no TOTP');
  // The server accepts one step of drift: a previous-step code generated just before a step
  // boundary would be two steps old when it arrives. Start early in a step so it cannot be.
  if (stepOffset < 0) while (Math.floor(Date.now() / 1000) % 30 >= 20) await new Promise((r) => setTimeout(r, 200));
  return generate({ secret: user.totpSecret, epoch: Math.floor(Date.now() / 1000) + stepOffset * 30 });
}

export function authorizeUrl(issuer: string, params: Record<string, string | string[] | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [v]) q.append(k, value);
  }
  return `${issuer}/authorize?${q.toString()}`;
}

/** The usual parameters of a valid request for this client. */
export function validParams(client: ClientRecord, challenge: string, extra: Record<string, string | string[] | undefined> = {}): Record<string, string | string[] | undefined> {
  return {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUris[0],
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: `st-${randomBytes(6).toString('hex')}`,
    scope: 'openid profile',
    ...extra,
  };
}

/**
 * Puts a password-only session (acr pwd, amr [pwd]) into the browser, as one started before HU-1
 * required a second factor at every password login would still be live: no login can create one
 * any more, yet the checks that look at a session's class must still refuse it.
 */
export async function legacyPasswordSession(ctx: ServerContext, browser: TestBrowser, user: TestUser): Promise<void> {
  const token = randomToken();
  const now = ctx.now();
  await ctx.storage.sessions.create({
    idHash: sha256(token),
    userId: user.record.id,
    authTime: now,
    acr: Acr.Password,
    amr: ['pwd'],
    createdAt: now,
    expiresAt: now + ctx.config.ttl.session,
    revokedAt: null,
  });
  browser.jar.set('__Host-mandate_session', { name: '__Host-mandate_session', value: token, attributes: [] });
}
