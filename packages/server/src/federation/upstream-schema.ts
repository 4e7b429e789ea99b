/**
 * Configuration of the upstream OpenID Providers users may sign in with (issue 5, HU-1, EN-1):
 * Mandate is their OpenID Connect client (authorization code + PKCE, OIDC Core §3.1). Each entry
 * says how to reach the provider, which email domains it is the home realm of, and how far its
 * word is trusted: whether it may create users (just-in-time provisioning), whether it may claim
 * an existing user by a verified email, and which of its claims grant roles and groups here.
 */
import { Acr } from '@mandate/protocol';
import { z } from 'zod';

/**
 * A secret given by value or, better, by the name of an environment variable, so it need not sit
 * in a configuration file. Resolved when used (federation/upstream/provider-config.ts); never logged.
 */
const SecretValueSchema = z.union([z.string().min(1), z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/) })]);
export type SecretValue = z.infer<typeof SecretValueSchema>;

/** When the claim (a string, or an array containing the value) equals `value`, the mapping applies. */
const ClaimMatchShape = {
  claim: z.string().min(1),
  value: z.union([z.string(), z.number(), z.boolean()]),
};

/** Roles Mandate knows: `admin` is the user's `isAdmin` flag (the `mandate:admin` scope). */
const UpstreamRoleMappingSchema = z.object({ ...ClaimMatchShape, role: z.enum(['admin']) });
/** Membership of a (SCIM) group by displayName, created when missing. */
const UpstreamGroupMappingSchema = z.object({ ...ClaimMatchShape, group: z.string().min(1).max(256) });

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export const UpstreamProviderSchema = z.object({
  /** Stable id: in URLs, stored on linked identities; renaming it unlinks every account. */
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/),
  /** Shown on the login page: "Continue with <displayName>". */
  displayName: z.string().min(1).max(80),
  /** OIDC Discovery 1.0 §4: fetched from `<issuer>/.well-known/openid-configuration`; compared exactly with `iss`. */
  issuer: z.string().url(),
  clientId: z.string().min(1),
  /** Absent = a public client at the provider (PKCE alone). */
  clientSecret: SecretValueSchema.optional(),
  tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/))
    .default(['openid', 'email', 'profile'])
    .refine((s) => s.includes('openid'), { message: 'scopes must include openid' }),
  /**
   * Home-realm discovery: users typing an email at one of these domains go to this provider. Also
   * the only domains whose emails it may assert for linking and provisioning: required with either
   * (see below); with neither, the provider only signs in identities already linked.
   */
  emailDomains: z.array(z.string().toLowerCase().regex(DOMAIN)).default([]),
  /**
   * Home-realm discovery without the extra click: an authorization request whose OIDC `login_hint`
   * (Core §3.1.2.1) is an email at one of `emailDomains` skips the login page and goes straight to
   * this provider, the hint passed on. Off by default: it hides the password form from everyone
   * whose client sends such a hint (`?method=password` still shows it).
   */
  autoRedirectOnLoginHint: z.boolean().default(false),
  /** Create a local user on the first login of an unknown account (needs a verified email in `emailDomains`). */
  jitProvisioning: z.boolean().default(false),
  /**
   * Link the first login to an existing local user with the same email — only when the provider
   * says `email_verified: true`, the address is in `emailDomains`, and the user is not an administrator.
   */
  linkByVerifiedEmail: z.boolean().default(false),
  /** Applied on every login: roles are set to exactly what the mappings grant. */
  roleMappings: z.array(UpstreamRoleMappingSchema).default([]),
  /** Applied on every login, to the groups named here only: added when a mapping matches, removed when none does. */
  groupMappings: z.array(UpstreamGroupMappingSchema).default([]),
  /** The provider's `acr` values (OIDC Core §2) that count as one of our classes; unmapped = password class. */
  acrMappings: z.record(z.string(), z.enum([Acr.Password, Acr.PasswordTotp, Acr.Passkey])).default({}),
  /** Also read the UserInfo endpoint (OIDC Core §5.3): many providers put email and groups only there. */
  userinfo: z.boolean().default(true),
}).superRefine((p, issue) => {
  // Without a domain list the provider's word would be taken for ANY verified email: linking would
  // hand it every local account (an administrator's included), provisioning would let it squat
  // addresses of other domains that a rightful provider or an email-mapping issuer later resolves.
  if (p.emailDomains.length > 0) return;
  for (const flag of ['linkByVerifiedEmail', 'jitProvisioning'] as const) {
    if (p[flag]) issue.addIssue({ code: 'custom', path: ['emailDomains'], message: `upstream provider ${p.id}: ${flag} needs emailDomains (the domains this provider is authoritative for)` });
  }
});
export type UpstreamProvider = z.infer<typeof UpstreamProviderSchema>;

/** Ids and home-realm domains must be unique: one email domain leads to exactly one provider. */
export const UpstreamProvidersSchema = z
  .array(UpstreamProviderSchema)
  .default([])
  .superRefine((providers, issue) => {
    const ids = new Set<string>();
    const domains = new Map<string, string>();
    for (const p of providers) {
      if (ids.has(p.id)) issue.addIssue({ code: 'custom', message: `duplicate upstream provider id ${p.id}` });
      ids.add(p.id);
      for (const d of p.emailDomains) {
        const other = domains.get(d);
        if (other !== undefined && other !== p.id) issue.addIssue({ code: 'custom', message: `email domain ${d} is claimed by both ${other} and ${p.id}` });
        domains.set(d, p.id);
      }
    }
  });
