/**
 * Which local user an upstream login stands for, in this order:
 *
 *   1. an identity already linked to (provider, sub)            → its user
 *   2. a verified email (email.ts) equal to a local user's email → link, if the provider may link
 *      and the user is not an administrator
 *   3. no local user with that email                             → create one, if JIT is on
 *   4. anything else                                             → refused, nothing written
 *
 * Only `sub` identifies the upstream account (OIDC Core §5.7); email is consulted once, at the
 * first login, and an unverified email never reaches an existing account. Everything runs in
 * one transaction, so two first logins at once cannot both link or both create: on PostgreSQL
 * both may read "nothing there" and the second insert then meets a unique index (users' email,
 * the (provider, sub) key). That loser starts over once, after the winner committed, and takes
 * the ordinary path with the winner's rows in view (see resolveUpstreamAccount).
 */
import type { ServerContext } from '../../context.ts';
import { randomId } from '../../crypto/hash.ts';
import type { UserRecord } from '../../storage/records.ts';
import type { UpstreamProvider } from '../upstream-schema.ts';
import { assertedEmail, type AssertedEmail } from './email.ts';
import { sameEmail } from '../email-match.ts';
import { UpstreamLoginError } from './errors.ts';
import { isUniqueViolation } from '../../storage/unique-violation.ts';
import { applyMappedAccess, mappedAccess } from './mapping.ts';
import type { UpstreamClaims } from './token.ts';

export type AccountOutcome = 'existing' | 'linked' | 'provisioned';

export interface ResolvedAccount {
  user: UserRecord;
  outcome: AccountOutcome;
}

function displayName(claims: UpstreamClaims, email: string): string {
  const name = claims.name;
  return typeof name === 'string' && name.trim() !== '' ? name.trim().slice(0, 200) : email;
}

function refuseWithoutVerifiedEmail(asserted: AssertedEmail, linkingExisting: boolean): never {
  if (asserted.kind === 'foreign_domain') throw new UpstreamLoginError('email_domain_not_allowed', 'email outside the provider domains');
  if (asserted.kind === 'unverified' && linkingExisting) throw new UpstreamLoginError('email_not_verified', 'email_verified is not true');
  throw new UpstreamLoginError('no_verified_email', 'no verified email asserted');
}

async function findOrCreate(ctx: ServerContext, provider: UpstreamProvider, claims: UpstreamClaims): Promise<ResolvedAccount> {
  const linked = await ctx.storage.upstreamIdentities.get(provider.id, claims.sub);
  if (linked) {
    const user = await ctx.storage.users.get(linked.userId);
    if (!user) throw new UpstreamLoginError('identity_user_missing', 'linked user not found');
    return { user, outcome: 'existing' };
  }
  const asserted = assertedEmail(provider, claims);
  const candidate = asserted.kind === 'none' ? null : await ctx.storage.users.getByEmail(asserted.email);
  // The lookup key is Unicode-lowercased: a look-alike address must neither link to nor shadow an account.
  if (candidate && asserted.kind !== 'none' && !sameEmail(candidate.email, asserted.email)) throw new UpstreamLoginError('email_collision', 'asserted email differs from the local account beyond ASCII case');
  if (asserted.kind !== 'verified') {
    if (!candidate && !provider.jitProvisioning) throw new UpstreamLoginError('not_provisioned', 'unknown upstream account');
    return refuseWithoutVerifiedEmail(asserted, candidate !== null);
  }
  const now = ctx.now();
  const link = (userId: string) =>
    ctx.storage.upstreamIdentities.create({ providerId: provider.id, subject: claims.sub, userId, email: asserted.email, createdAt: now, lastLoginAt: null });
  if (candidate) {
    if (!provider.linkByVerifiedEmail) throw new UpstreamLoginError('link_not_allowed', 'local user exists, linking disabled');
    // An email is too weak a proof for the keys to the server: one mistaken domain list or one
    // compromised IdP account would be an administrator takeover. An administrator's upstream
    // identity is linked explicitly by an operator (an upstream_identities row), never by email.
    if (candidate.isAdmin) throw new UpstreamLoginError('link_admin_refused', 'local user is an administrator; email linking refused', null, candidate.id);
    await link(candidate.id);
    return { user: candidate, outcome: 'linked' };
  }
  if (!provider.jitProvisioning) throw new UpstreamLoginError('not_provisioned', 'unknown upstream account');
  const user: UserRecord = {
    id: randomId('usr'),
    email: asserted.email,
    name: displayName(claims, asserted.email),
    // Signs in through the provider only; a password can be set later by an administrator.
    passwordHash: null,
    totpSecretEncrypted: null,
    isAdmin: false,
    disabled: false,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.storage.users.create(user);
  await link(user.id);
  return { user, outcome: 'provisioned' };
}

async function resolveOnce(ctx: ServerContext, provider: UpstreamProvider, claims: UpstreamClaims, access: ReturnType<typeof mappedAccess>): Promise<ResolvedAccount> {
  return ctx.storage.transaction(async (storage) => {
    const tx: ServerContext = { ...ctx, storage };
    const resolved = await findOrCreate(tx, provider, claims);
    // A disabled user is refused before anything about them changes.
    if (resolved.user.disabled) throw new UpstreamLoginError('account_disabled', 'user disabled', null, resolved.user.id);
    const user = await applyMappedAccess(tx, provider, resolved.user, access);
    const email = typeof claims.email === 'string' ? claims.email.slice(0, 320) : null;
    await storage.upstreamIdentities.touch(provider.id, claims.sub, email, ctx.now());
    return { user, outcome: resolved.outcome };
  });
}

/** The local user for this upstream login, with the provider's roles and groups applied. */
export async function resolveUpstreamAccount(ctx: ServerContext, provider: UpstreamProvider, claims: UpstreamClaims): Promise<ResolvedAccount> {
  const access = mappedAccess(provider, claims);
  try {
    return await resolveOnce(ctx, provider, claims, access);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // A concurrent first login committed the row we were about to write (its transaction is over,
    // ours rolled back; PostgreSQL cannot go on inside an aborted one). Starting over reads its
    // rows: the same (provider, sub) is now simply 'existing'; a user created for another
    // identity meets the linking rules, exactly as if the two logins had come one after the other.
    // The database's message names the key's value (an email): only the fact is logged.
    ctx.logger.info({ provider: provider.id }, 'upstream login raced another; resolving again');
  }
  try {
    return await resolveOnce(ctx, provider, claims, access);
  } catch (err) {
    if (isUniqueViolation(err)) throw new UpstreamLoginError('concurrent_login', 'unique violation twice in a row');
    throw err;
  }
}
