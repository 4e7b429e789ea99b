/**
 * The local user an ID-JAG asserts (draft §4.3: the AS "identifies the user" from `sub` and the
 * other claims). Mapping is per trusted issuer and never creates users (no just-in-time
 * provisioning): `email` finds the local user with the asserted `email`; `sub` looks the
 * asserted subject up in the issuer's explicit `users` table. A disabled user gets nothing.
 */
import { InvalidGrantError } from '@mandate/protocol';
import type { JWTPayload } from 'jose';
import type { ServerContext } from '../../context.ts';
import type { UserRecord } from '../../storage/records.ts';
import type { IdJagIssuer } from '../../federation/schema.ts';

export async function idJagSubject(ctx: ServerContext, issuer: IdJagIssuer, payload: JWTPayload): Promise<UserRecord> {
  const user = await findUser(ctx, issuer, payload);
  if (!user) throw new InvalidGrantError(`The user asserted by the ID-JAG (${describe(issuer, payload)}) is not a user of this server.`);
  if (user.disabled) throw new InvalidGrantError('The user asserted by the ID-JAG is disabled here.');
  return user;
}

async function findUser(ctx: ServerContext, issuer: IdJagIssuer, payload: JWTPayload): Promise<UserRecord | null> {
  if (issuer.subjectClaim === 'sub') {
    const localId = Object.hasOwn(issuer.users, payload.sub as string) ? issuer.users[payload.sub as string] : undefined;
    return localId === undefined ? null : ctx.storage.users.get(localId);
  }
  const email = payload.email;
  if (typeof email !== 'string' || email === '' || email.length > 320) {
    throw new InvalidGrantError(`The ID-JAG must carry an "email" claim: the issuer ${issuer.issuer} maps users by email.`);
  }
  return ctx.storage.users.getByEmail(email);
}

function describe(issuer: IdJagIssuer, payload: JWTPayload): string {
  const value = issuer.subjectClaim === 'sub' ? payload.sub : payload.email;
  return `${issuer.subjectClaim} '${String(value).slice(0, 200)}'`;
}
