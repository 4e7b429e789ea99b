/**
 * Which email address an upstream login vouches for. OIDC Core §5.7: `email` is not a stable
 * identifier and is only worth something with `email_verified: true`; and a provider is only
 * believed for the domains it is the home realm of, so one tenant's IdP cannot assert an address
 * in another's domain and take over that account. No domains configured = no domain believed
 * (configuration already requires them for linking and provisioning, the only uses of the email).
 */
import type { UpstreamProvider } from '../upstream-schema.ts';
import type { UpstreamClaims } from './token.ts';
import { asciiLower } from '../email-match.ts';

export type AssertedEmail =
  | { kind: 'verified'; email: string }
  | { kind: 'unverified'; email: string }
  | { kind: 'foreign_domain'; email: string }
  | { kind: 'none' };

export function emailDomain(email: string): string | null {
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return null;
  return asciiLower(email.slice(at + 1)); // ASCII only: see federation/email-match.ts
}

export function assertedEmail(provider: UpstreamProvider, claims: UpstreamClaims): AssertedEmail {
  const raw = claims.email;
  if (typeof raw !== 'string' || raw.length > 320) return { kind: 'none' };
  const email = raw.trim();
  const domain = emailDomain(email);
  if (domain === null) return { kind: 'none' };
  // Strictly the boolean true: some providers send "true" strings, which the spec does not allow.
  if (claims.email_verified !== true) return { kind: 'unverified', email };
  if (!provider.emailDomains.includes(domain)) return { kind: 'foreign_domain', email };
  return { kind: 'verified', email };
}
