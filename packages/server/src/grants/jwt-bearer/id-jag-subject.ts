/**
 * The local user an ID-JAG asserts (draft §4.3: the AS "identifies the user" from `sub` and the
 * other claims). Mapping is per trusted issuer and never creates users (no just-in-time
 * provisioning): `email` finds the local user with the asserted `email` (only within the issuer's
 * `emailDomains`, which the configuration requires for email mapping); `sub` looks the asserted subject up in the issuer's
 * explicit `users` table. A disabled user gets nothing, nor does an administrator: another domain's
 * assertion is too weak a proof for the keys to this server (upstream SSO likewise never
 * email-links an administrator, federation/upstream/account.ts; the issuer policies cannot list
 * administrator scopes, federation/schema.ts).
 * Token exchange maps federated subject tokens (ID-JAGs, external ID tokens) with the same rule.
 *
 * The storage finds users by a lowercased email (storage/repositories/users.ts `emailKey`:
 * `trim().toLowerCase()`, full Unicode case mapping). That is too loose for a claim another domain
 * asserts: `toLowerCase` maps the Kelvin sign K (U+212A) to "k" and İ (U+0130) to "i̇", so an
 * issuer that verified the distinct mailbox "\u212Aate@example.com" would be mapped to
 * kate@example.com. The found user is therefore accepted only if the asserted email equals theirs
 * exactly up to ASCII letter case (the domain is case-insensitive, RFC 5321 §2.4; local parts are
 * treated so by every mail provider in practice), with no surrounding whitespace.
 */
import { InvalidGrantError } from '@mandate/protocol';
import type { JWTPayload } from 'jose';
import type { ServerContext } from '../../context.ts';
import type { UserRecord } from '../../storage/records.ts';
import type { UserMapping } from '../../federation/schema.ts';
import { asciiLower, sameEmail } from '../../federation/email-match.ts';

export async function idJagSubject(ctx: ServerContext, issuer: UserMapping, payload: JWTPayload, what = 'ID-JAG'): Promise<UserRecord> {
  const user = await findUser(ctx, issuer, payload, what);
  if (!user) throw new InvalidGrantError(`The user asserted by the ${what} (${describe(issuer, payload)}) is not a user of this server.`);
  refuseUnacceptableUser(user, what);
  return user;
}

/** Who another issuer's assertion may stand for: an enabled user who is no administrator here (also re-checked in the issuing transaction, id-jag.ts). */
export function refuseUnacceptableUser(user: UserRecord | null, what: string): asserts user is UserRecord {
  if (!user || user.disabled) throw new InvalidGrantError(`The user asserted by the ${what} is disabled here.`);
  if (user.isAdmin) throw new InvalidGrantError(`The user asserted by the ${what} is an administrator here: administrators are not accepted on another issuer's assertion.`);
}

async function findUser(ctx: ServerContext, issuer: UserMapping, payload: JWTPayload, what: string): Promise<UserRecord | null> {
  if (issuer.subjectClaim === 'sub') {
    // RFC 7519 §4.1.2: sub is a string; a number would otherwise match the table key it prints as.
    const sub = payload.sub;
    if (typeof sub !== 'string') throw new InvalidGrantError(`The ${what} "sub" claim must be a string (RFC 7519 §4.1.2).`);
    const localId = Object.hasOwn(issuer.users, sub) ? issuer.users[sub] : undefined;
    return localId === undefined ? null : ctx.storage.users.get(localId);
  }
  const email = payload.email;
  if (typeof email !== 'string' || email === '' || email.length > 320) {
    throw new InvalidGrantError(`The ${what} must carry an "email" claim: the issuer ${issuer.issuer} maps users by email.`);
  }
  checkEmailDomain(issuer, email, what);
  const user = await ctx.storage.users.getByEmail(email);
  return user && sameEmail(user.email, email) ? user : null;
}

/** The issuer is trusted only for the email domains it is authoritative for (federation/schema.ts `emailDomains`). */
function checkEmailDomain(issuer: UserMapping, email: string, what: string): void {
  // The schema refuses email mapping without domains; a mapping built around it trusts no domain rather than every one.
  const domain = asciiLower(email.slice(email.lastIndexOf('@') + 1));
  if (!email.includes('@') || !issuer.emailDomains.some((d) => asciiLower(d) === domain)) {
    throw new InvalidGrantError(`The ${what}'s email domain is not one the issuer ${issuer.issuer} is trusted for (emailDomains).`);
  }
}


function describe(issuer: UserMapping, payload: JWTPayload): string {
  const value = issuer.subjectClaim === 'sub' ? payload.sub : payload.email;
  return `${issuer.subjectClaim} '${String(value).slice(0, 200)}'`;
}
