/**
 * Reading and writing SCIM users through Mandate's storage. Every write runs in the caller's
 * transaction and is audited there. Deactivation (active=false, DELETE) goes through
 * account/deprovision.ts — the path the admin API's disable takes — so both leave the same state.
 * Re-activation lets the user sign in again; their agents stay suspended and revoked grants stay
 * revoked (as with the admin API's enable): the owner re-activates agents deliberately.
 * What SCIM may not do at all (administrators, re-enabling others' disablements) and what a new
 * password or email ends: user-guards.ts.
 */
import type { Context } from 'hono';
import type { ServerContext } from '../context.ts';
import { randomId } from '../crypto/hash.ts';
import { hashPassword } from '../crypto/password.ts';
import { clientIp } from '../http/client-ip.ts';
import { deprovisionUser, type Deprovisioned } from '../account/deprovision.ts';
import { revokeVaultAfterDeprovisioning } from '../account/vault-deprovision.ts';
import type { ScimUserAttributes, UserRecord } from '../storage/records.ts';
import type { ScimPrincipal } from './auth.ts';
import { notFound, uniqueness } from './errors.ts';
import { PrepareAgain } from './handler.ts';
import { applyPatch } from './patch-apply.ts';
import { patchedPassword } from './patch-password.ts';
import { parsePatchRequest, type PatchOperation } from './patch-request.ts';
import { USER } from './resource-schemas.ts';
import { parseUserInput, type UserInput } from './user-input.ts';
import { userResource, type UserParts } from './user-resource.ts';
import { assertMayReactivate, assertNotAdministrator, endSessionsAndGrants } from './user-guards.ts';

export interface WriteContext {
  ctx: ServerContext;
  c: Context;
  principal: ScimPrincipal;
  /** Runs `task` once the write's transaction has committed (never after a rollback): network I/O. */
  afterCommit(task: () => Promise<void>): void;
}

const PAGE = 500;
const MAX_PAGES = 10_000;

function emptyAttributes(userId: string): ScimUserAttributes {
  return { userId, externalId: null, name: null, emails: null, deletedAt: null, disabledAt: null };
}

export async function userParts(ctx: ServerContext, user: UserRecord, attributes?: ScimUserAttributes | null): Promise<UserParts> {
  return {
    user,
    attributes: attributes ?? (await ctx.storage.scim.getUser(user.id)) ?? emptyAttributes(user.id),
    agents: await ctx.storage.agents.list({ ownerUserId: user.id }),
    groups: await ctx.storage.scim.listGroupsOfUser(user.id),
  };
}

/** 404 for unknown users and users deleted through SCIM. */
export async function loadUser(ctx: ServerContext, id: string): Promise<UserParts> {
  const user = await ctx.storage.users.get(id);
  const attributes = user ? await ctx.storage.scim.getUser(id) : null;
  if (!user || !attributes || attributes.deletedAt !== null) throw notFound(`No user ${id}.`);
  return userParts(ctx, user, attributes);
}

/**
 * loadUser for PUT, PATCH and DELETE: administrators are read-only to SCIM (user-guards.ts).
 * A plain read that answers 404 and 403 before any work: each write then starts from
 * lockWritableUser, and nothing it writes comes from this read.
 */
export async function loadWritableUser(ctx: ServerContext, id: string): Promise<UserParts> {
  const parts = await loadUser(ctx, id);
  assertNotAdministrator(parts.user);
  return parts;
}

/**
 * The user a write starts from, locked until the SCIM transaction commits (users.getForUpdate;
 * the user row is the first lock the write takes). users.update replaces the whole row, so a
 * write from the earlier, unlocked read would undo an administrator's disable, promotion or
 * password change committed in between; the checks run again on the row as it is now.
 */
type LockedUser = { user: UserRecord; attributes: ScimUserAttributes };

async function lockWritableUser(ctx: ServerContext, id: string): Promise<LockedUser> {
  const user = await ctx.storage.users.getForUpdate(id);
  const attributes = user ? await ctx.storage.scim.getUser(id) : null;
  if (!user || !attributes || attributes.deletedAt !== null) throw notFound(`No user ${id}.`);
  assertNotAdministrator(user);
  return { user, attributes };
}

/** Every user SCIM shows (deleted ones excluded), or only the one whose userName is given. */
export async function allUsers(ctx: ServerContext, userName: string | null): Promise<UserParts[]> {
  const out: UserParts[] = [];
  const add = async (user: UserRecord) => {
    const attributes = await ctx.storage.scim.getUser(user.id);
    if (attributes && attributes.deletedAt === null) out.push(await userParts(ctx, user, attributes));
  };
  if (userName !== null) {
    const user = await ctx.storage.users.getByEmail(userName);
    if (user) await add(user);
    return out;
  }
  for (let page = 0; page < MAX_PAGES; page++) {
    const users = await ctx.storage.users.list({ limit: PAGE, offset: page * PAGE });
    for (const user of users) await add(user);
    if (users.length < PAGE) break;
  }
  return out;
}

async function assertUserNameFree(ctx: ServerContext, userName: string, selfId: string | null): Promise<void> {
  const holder = await ctx.storage.users.getByEmail(userName);
  if (holder && holder.id !== selfId) throw uniqueness(`userName ${userName} is already taken.`);
}

function displayNameOf(input: UserInput): string {
  const n = input.name;
  const joined = n ? [n.givenName, n.familyName].filter(Boolean).join(' ') : '';
  return (input.displayName ?? n?.formatted ?? (joined || input.userName)).slice(0, 200);
}

async function audit(w: WriteContext, event: string, userId: string, data: Record<string, unknown> = {}): Promise<void> {
  await w.ctx.audit.record({ event, userId, clientId: w.principal.clientId, ip: clientIp(w.c), result: 'success', data: { jti: w.principal.jti, ...data } });
}

/**
 * What a write hashes before its transaction begins (handler.ts writePrepared): scrypt takes tens
 * of ms, and on SQLite an open transaction holds the one connection, so every other statement of
 * the server would wait behind the hash (on PostgreSQL it would hold a pooled connection).
 */
export interface HashedPassword {
  readonly password: string;
  readonly hash: string;
}

async function hashed(password: string | null): Promise<HashedPassword | null> {
  return password === null ? null : { password, hash: await hashPassword(password) };
}

export interface PreparedCreate {
  input: UserInput;
  password: HashedPassword | null;
}

/** POST before its transaction: a taken userName is refused before hashing (and checked again in the transaction). */
export async function prepareCreate(ctx: ServerContext, body: Record<string, unknown>): Promise<PreparedCreate> {
  const input = parseUserInput(body);
  await assertUserNameFree(ctx, input.userName, null);
  return { input, password: await hashed(input.password) };
}

export interface PreparedReplace {
  current: UserParts;
  input: UserInput;
  password: HashedPassword | null;
}

/** PUT before its transaction: 404 and 403 (loadWritableUser) come before the body's 400, then the hash. */
export async function prepareReplace(ctx: ServerContext, id: string, body: Record<string, unknown>): Promise<PreparedReplace> {
  const current = await loadWritableUser(ctx, id);
  const input = parseUserInput(body);
  return { current, input, password: await hashed(input.password) };
}

export interface PreparedPatch {
  current: UserParts;
  operations: PatchOperation[];
  /** The password the operations set, read from them alone (patch-password.ts), hashed. */
  password: HashedPassword | null;
}

/** PATCH before its transaction: the request's 400 first, then 404 and 403, then the hash. */
export async function preparePatch(ctx: ServerContext, id: string, body: Record<string, unknown>): Promise<PreparedPatch> {
  const operations = parsePatchRequest(body);
  const current = await loadWritableUser(ctx, id);
  return { current, operations, password: await hashed(patchedPassword(operations, USER)) };
}

export async function createUser(w: WriteContext, prepared: PreparedCreate): Promise<UserParts> {
  const { ctx } = w;
  const { input } = prepared;
  await assertUserNameFree(ctx, input.userName, null);
  const t = ctx.now();
  const user: UserRecord = {
    id: randomId('usr'),
    email: input.userName,
    name: displayNameOf(input),
    passwordHash: prepared.password?.hash ?? null,
    totpSecretEncrypted: null,
    // SCIM never makes administrators: that stays with the admin API.
    isAdmin: false,
    disabled: false,
    createdAt: t,
    updatedAt: t,
  };
  await ctx.storage.users.create(user);
  const attributes: ScimUserAttributes = { userId: user.id, externalId: input.externalId, name: input.name, emails: input.emails, deletedAt: null, disabledAt: null };
  await ctx.storage.scim.setUser(attributes);
  await audit(w, 'scim.user.created', user.id, { external_id: input.externalId });
  if (input.active === false) {
    const disabled = (await deactivate(w, user, 'deactivated by SCIM provisioning')).user;
    const marked = { ...attributes, disabledAt: ctx.now() };
    await ctx.storage.scim.setUser(marked);
    return userParts(ctx, disabled, marked);
  }
  return userParts(ctx, user, attributes);
}

/** PUT: the input replaces every writable attribute; a password given is a new one (hashed by prepareReplace). */
export async function replaceUser(w: WriteContext, prepared: PreparedReplace): Promise<UserParts> {
  // loadWritableUser refused an administrator before the hash; lockWritableUser checks the locked row again.
  return writeReplacement(w, await lockWritableUser(w.ctx, prepared.current.user.id), prepared.input, prepared.password?.hash ?? null);
}

/**
 * PATCH (RFC 7644 §3.5.2): the operations apply to the locked user's representation, so every
 * attribute the PATCH does not name (active above all) is the user's as it is now, not as an
 * earlier read saw it: a PATCH of displayName neither re-enables a user disabled meanwhile nor
 * trips over an administrator's disable (assertMayReactivate). The password was hashed before
 * the transaction, from the operations (preparePatch).
 */
export async function patchUser(w: WriteContext, prepared: PreparedPatch): Promise<UserParts> {
  const { current, operations } = prepared;
  const locked = await lockWritableUser(w.ctx, current.user.id);
  const input = parseUserInput(applyPatch(userResource(w.ctx.config.issuer, await userParts(w.ctx, locked.user, locked.attributes)), operations, USER));
  return writeReplacement(w, locked, input, preparedHash(input.password, prepared));
}

/**
 * The prepared hash of the patched password. Should patchedPassword have read the operations
 * differently from applyPatch, the transaction rolls back and the write runs again with this
 * password hashed outside it (PrepareAgain): never a hash while the transaction is open.
 */
function preparedHash(password: string | null, prepared: PreparedPatch): string | null {
  if (password === null) return null;
  if (prepared.password?.password === password) return prepared.password.hash;
  throw new PrepareAgain(async (): Promise<PreparedPatch> => ({ ...prepared, password: await hashed(password) }));
}

/** The write PUT and PATCH share, from the locked row: `input` replaces every writable attribute. */
async function writeReplacement(w: WriteContext, locked: LockedUser, input: UserInput, passwordHash: string | null): Promise<UserParts> {
  const { ctx } = w;
  const reactivate = input.active === true && locked.user.disabled;
  if (reactivate) assertMayReactivate(locked.user, locked.attributes);
  if (input.userName.toLowerCase() !== locked.user.email.toLowerCase()) await assertUserNameFree(ctx, input.userName, locked.user.id);
  const passwordChanged = passwordHash !== null;
  const emailChanged = input.userName !== locked.user.email;
  let user: UserRecord = {
    ...locked.user,
    email: input.userName,
    name: displayNameOf(input),
    ...(passwordHash !== null ? { passwordHash } : {}),
    updatedAt: ctx.now(),
  };
  await ctx.storage.users.update(user);
  let attributes: ScimUserAttributes = { ...locked.attributes, externalId: input.externalId, name: input.name, emails: input.emails };
  const deactivateNow = input.active === false && !user.disabled;
  const credentialsChanged = (passwordChanged || emailChanged) && !deactivateNow; // deactivation already ends everything
  // PostgreSQL lock order: every grant and token lock of the deprovisioning (grants.lockUserTrees)
  // or of the credential change (grants.revokeByUser) before the first audit append, which takes
  // the audit advisory lock: an issuer takes that lock after its grant and token locks, so an
  // append first would deadlock with a concurrent refresh or exchange (40P01; SCIM does not
  // retry). The events keep their order and content: updated, then deactivated / reactivated /
  // credentials_changed.
  const deprovisioned = deactivateNow ? await deprovisionForScim(w, user, 'deactivated by SCIM provisioning') : null;
  const ended = credentialsChanged ? await endSessionsAndGrants(ctx, user.id, 'user credentials changed by SCIM provisioning') : null;
  await audit(w, 'scim.user.updated', user.id, { password_changed: passwordChanged, email_changed: emailChanged });
  if (deprovisioned !== null) {
    await auditDeactivation(w, user.id, deprovisioned);
    user = deprovisioned.user;
    attributes = { ...attributes, disabledAt: ctx.now() };
  } else if (reactivate) {
    user = { ...user, disabled: false, updatedAt: ctx.now() };
    await ctx.storage.users.update(user);
    attributes = { ...attributes, disabledAt: null };
    await audit(w, 'scim.user.reactivated', user.id);
  }
  if (ended !== null) {
    await audit(w, 'scim.user.credentials_changed', user.id, { password_changed: passwordChanged, email_changed: emailChanged, ended_sessions: ended.endedSessions, revoked_grants: ended.revokedGrants });
  }
  await ctx.storage.scim.setUser(attributes);
  return userParts(ctx, user, attributes);
}

/** RFC 7644 §3.6: gone for SCIM. Mandate keeps the disabled user for the audit trail. */
export async function deleteUser(w: WriteContext, current: UserParts): Promise<void> {
  const locked = await lockWritableUser(w.ctx, current.user.id); // refuses an administrator, on the row as it is now
  await deactivate(w, locked.user, 'deleted by SCIM provisioning', 'scim.user.deleted');
  await w.ctx.storage.scim.setUser({ ...locked.attributes, deletedAt: w.ctx.now() });
  for (const group of current.groups) {
    const members = await w.ctx.storage.scim.listGroupMembers(group.id);
    await w.ctx.storage.scim.setGroupMembers(group.id, members.filter((id) => id !== current.user.id));
  }
}

async function deactivate(w: WriteContext, user: UserRecord, reason: string, event = 'scim.user.deactivated') {
  const done = await deprovisionForScim(w, user, reason);
  await auditDeactivation(w, user.id, done, event);
  return done;
}

/** deprovisionUser, and the provider-side vault revocation after commit; no audit append (its caller's, after every lock). */
async function deprovisionForScim(w: WriteContext, user: UserRecord, reason: string): Promise<Deprovisioned> {
  const done = await deprovisionUser(w.ctx, user, reason);
  w.afterCommit(() => revokeVaultAfterDeprovisioning(w.ctx, user.id)); // ID-2: revoke linked accounts at their providers
  return done;
}

/** ID-2: one event names everything the deactivation switched off. */
async function auditDeactivation(w: WriteContext, userId: string, done: Deprovisioned, event = 'scim.user.deactivated'): Promise<void> {
  await audit(w, event, userId, { suspended_agents: done.suspendedAgents, revoked_grants: done.revokedGrants, revoked_vault_entries: done.revokedVaultEntries });
}
