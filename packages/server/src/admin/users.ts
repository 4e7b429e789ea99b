/**
 * Admin API: users. Passwords are hashed with scrypt (crypto/password.ts); a TOTP secret (HU-1
 * second factor) can be generated at creation and is shown once, then stored encrypted.
 * Disabling a user ends their sessions, suspends their agents and revokes their grants (and so
 * their tokens).
 */
import { z } from 'zod';
import { generateSecret, generateURI } from 'otplib';
import { InvalidRequestError, NotFoundError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { randomId } from '../crypto/hash.ts';
import { hashPassword } from '../crypto/password.ts';
import type { UserRecord } from '../storage/records.ts';
import { deprovisionUser } from '../account/deprovision.ts';
import { revokeVaultAfterDeprovisioning } from '../account/vault-deprovision.ts';
import { inTransaction } from '../clients/lifecycle.ts';
import { isUniqueViolation } from '../storage/unique-violation.ts';
import { defineRoute } from './route.ts';
import { listOf, Pagination, RevokedGrants, UserView, userView } from './schemas.ts';

const UserIdParam = z.object({ userId: z.string().min(1).max(200) });

export const CreateUserBody = z.object({
  email: z.email().max(320),
  name: z.string().trim().min(1).max(200),
  password: z.string().min(12, 'password must be at least 12 characters').max(1024),
  is_admin: z.boolean().default(false),
  generate_totp: z.boolean().default(true).describe('Generate a TOTP secret (the second factor login requires); returned once.'),
});

const CreatedUser = UserView.extend({
  totp_secret: z.string().optional().describe('Base32 TOTP secret, shown once.'),
  totp_uri: z.string().optional().describe('otpauth:// URI for authenticator apps, shown once.'),
});

async function getUser(ctx: ServerContext, userId: string): Promise<UserRecord> {
  const user = await ctx.storage.users.get(userId);
  if (!user) throw new NotFoundError(`No user ${userId}.`);
  return user;
}

/** The row locked until the route's transaction commits (users.getForUpdate): the update below replaces it whole. */
async function getUserForUpdate(ctx: ServerContext, userId: string): Promise<UserRecord> {
  const user = await ctx.storage.users.getForUpdate(userId);
  if (!user) throw new NotFoundError(`No user ${userId}.`);
  return user;
}

const duplicateEmail = (email: string) => new InvalidRequestError(`A user with the email ${email} already exists.`);

/**
 * A concurrent create may insert the same email between the check and this insert: the unique
 * index (users.email_lower) refuses it, answered as the check answers (not a 500 whose log line
 * would carry the driver's message, and with it the email).
 */
async function insertUser(ctx: ServerContext, user: UserRecord): Promise<void> {
  try {
    await ctx.storage.users.create(user);
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateEmail(user.email);
    throw err;
  }
}

export const userRoutes = [
  defineRoute({
    method: 'get',
    path: '/users',
    operationId: 'listUsers',
    summary: 'List users.',
    tag: 'users',
    query: Pagination,
    success: { status: 200, description: 'A page of users.', schema: listOf(UserView) },
    async handle({ ctx, query }) {
      return { items: (await ctx.storage.users.list({ limit: query.limit, offset: query.offset })).map(userView) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/users',
    operationId: 'createUser',
    summary: 'Create a user with a password (and by default a TOTP secret, returned once).',
    tag: 'users',
    body: CreateUserBody,
    success: { status: 201, description: 'The user.', schema: CreatedUser },
    // scrypt before the transaction (route.ts prepare): on SQLite the transaction holds the one
    // connection. A taken email is refused before hashing, and again in the transaction.
    async prepare({ ctx, body }) {
      if (await ctx.storage.users.getByEmail(body.email)) throw duplicateEmail(body.email);
      return { passwordHash: await hashPassword(body.password) };
    },
    async handle({ ctx, body, auditData, prepared }) {
      if (await ctx.storage.users.getByEmail(body.email)) throw duplicateEmail(body.email);
      const totpSecret = body.generate_totp ? generateSecret() : null;
      const t = ctx.now();
      const user: UserRecord = {
        id: randomId('usr'),
        email: body.email,
        name: body.name,
        passwordHash: prepared.passwordHash,
        totpSecretEncrypted: totpSecret ? await ctx.envelope.encrypt(totpSecret, 'totp') : null,
        isAdmin: body.is_admin,
        disabled: false,
        createdAt: t,
        updatedAt: t,
      };
      await insertUser(ctx, user);
      auditData.user_id = user.id;
      return {
        ...userView(user),
        ...(totpSecret ? { totp_secret: totpSecret, totp_uri: generateURI({ issuer: 'Mandate', label: user.email, secret: totpSecret }) } : {}),
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/users/:userId',
    operationId: 'getUser',
    summary: 'Read one user.',
    tag: 'users',
    params: UserIdParam,
    success: { status: 200, description: 'The user.', schema: UserView },
    errors: [404],
    async handle({ ctx, params }) {
      return userView(await getUser(ctx, params.userId));
    },
  }),
  defineRoute({
    method: 'post',
    path: '/users/:userId/disable',
    operationId: 'disableUser',
    summary: 'Disable a user: no more logins; their sessions end, their agents are suspended, their grants and tokens are revoked.',
    tag: 'users',
    params: UserIdParam,
    success: {
      status: 200,
      description: 'The disabled user, the grants revoked and the agents suspended.',
      schema: UserView.extend(RevokedGrants.shape).extend({ suspended_agents: z.array(z.string()).describe('Ids of the agents of the user, now suspended.') }),
    },
    errors: [404],
    // Its own transaction, so the provider-side vault revocation can run after the commit.
    transactional: false,
    async handle({ ctx, params, auditData }) {
      // ID-2: the same deprovisioning as SCIM's active=false (account/deprovision.ts).
      const done = await inTransaction(ctx, async (tx) => deprovisionUser(tx, await getUserForUpdate(tx, params.userId), 'disabled by an administrator'), {
        retryOnDeadlock: true, // writes only through tx; the vault revocation runs after commit
      });
      // The event names everything the disable switched off, as SCIM's deactivation event does.
      Object.assign(auditData, { suspended_agents: done.suspendedAgents, revoked_grants: done.revokedGrants, revoked_vault_entries: done.revokedVaultEntries });
      await revokeVaultAfterDeprovisioning(ctx, done.user.id); // network I/O, after commit; never fails the disable
      return { ...userView(done.user), revoked_grants: done.revokedGrants, suspended_agents: done.suspendedAgents };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/users/:userId/enable',
    operationId: 'enableUser',
    summary: 'Re-enable a disabled user (revoked grants stay revoked).',
    tag: 'users',
    params: UserIdParam,
    success: { status: 200, description: 'The user.', schema: UserView },
    errors: [404],
    async handle({ ctx, params }) {
      const user = await getUserForUpdate(ctx, params.userId);
      const updated = { ...user, disabled: false, updatedAt: ctx.now() };
      await ctx.storage.users.update(updated);
      return userView(updated);
    },
  }),
];
