/**
 * OIDC Core §5.1 standard claims about a user, released per §5.4 scope values. The same mapping
 * feeds ID tokens and the userinfo endpoint, so the two never disagree.
 */
import type { UserRecord } from '../storage/records.ts';
import { scopeTokens } from '../checks/scope.ts';

/** OIDC Core §5.4: which claims each scope value releases (only the ones Mandate holds). */
export const SCOPE_CLAIMS: Readonly<Record<string, readonly string[]>> = {
  profile: ['name', 'updated_at'],
  email: ['email', 'email_verified'],
};

/** Every claim Mandate can put in an ID token or userinfo response (OIDC Discovery `claims_supported`). */
export const CLAIMS_SUPPORTED = [
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'acr',
  'amr',
  'azp',
  'at_hash',
  'c_hash',
  ...new Set(Object.values(SCOPE_CLAIMS).flat()),
];

export interface UserClaims {
  sub: string;
  name?: string;
  updated_at?: number;
  email?: string;
  email_verified?: boolean;
}

/**
 * The claims `scopes` release about `user`. `sub` is the stable user id (OIDC Core §8: public
 * subject identifiers), never the email, which can change.
 */
export function userClaims(user: UserRecord, scopes: Iterable<string> | string): UserClaims {
  const granted = new Set(typeof scopes === 'string' ? scopeTokens(scopes) : scopes);
  const claims: UserClaims = { sub: user.id };
  if (granted.has('profile')) {
    if (user.name !== '') claims.name = user.name;
    claims.updated_at = user.updatedAt;
  }
  if (granted.has('email')) {
    claims.email = user.email;
    // Accounts are provisioned by an administrator or the development seed; Mandate runs no
    // mailbox-ownership check, so it does not assert one (OIDC Core §5.1 email_verified).
    claims.email_verified = false;
  }
  return claims;
}
