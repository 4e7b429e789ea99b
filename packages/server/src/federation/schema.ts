/**
 * Configuration of the external issuers whose JWTs the jwt-bearer grant (RFC 7523 §2.1) accepts:
 *
 * - workload issuers (CL-8): a CI system, a cloud or a Kubernetes cluster signs a short-lived JWT
 *   about a workload; a rule maps one of its claims to an agent or a service client, so the
 *   workload holds no secret of ours at all;
 * - ID-JAG issuers (DL-3): another company's authorization server issues Identity Assertion JWT
 *   Authorization Grants (draft-ietf-oauth-identity-assertion-authz-grant) for its users; the
 *   policy names which of our clients may present them, with which scopes and resources, and how
 *   the asserted user is found among our users (also accepted as token exchange subject tokens);
 * - ID token issuers: external OpenID Providers whose ID tokens (OIDC Core §2) our clients may
 *   exchange for our access tokens (RFC 8693 subject_token), with the same kind of policy.
 *
 * Keys are given by value (`jwks`) or fetched (`jwksUri`, through the SSRF-safe fetch).
 */
import { z } from 'zod';
import { UpstreamProvidersSchema } from './upstream-schema.ts';
import { AcrMappingsSchema } from './acr-mappings.ts';
import { isAdministratorScope } from '../endpoints/paths.ts';

/** Asymmetric JWS algorithms only (RFC 8725 §3.1, §3.2): never `none`, never an HMAC. */
export const FEDERATION_ALGS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;

const JwksSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) });

const KeySourceShape = {
  /** The issuer identifier, compared exactly with the JWT's `iss` (RFC 7523 §3 (1)). */
  issuer: z.string().min(1),
  jwks: JwksSchema.optional(),
  jwksUri: z.string().url().optional(),
  /** The algorithms this issuer signs with; a subset of FEDERATION_ALGS. */
  algorithms: z.array(z.enum(FEDERATION_ALGS)).min(1).default(['ES256', 'RS256', 'EdDSA']),
};

function oneKeySource(v: { jwks?: unknown; jwksUri?: string | undefined }): boolean {
  return (v.jwks === undefined) !== (v.jwksUri === undefined);
}
const KEY_SOURCE_MESSAGE = 'give exactly one of jwks or jwksUri';

/** One rule: when `claim` of a verified JWT equals `equals`, the JWT stands for that identity. */
export const WorkloadRuleSchema = z
  .object({
    claim: z.string().min(1).default('sub'),
    equals: z.string().min(1),
    /** An agent (`agt_…`); the presenting client must be the agent's client. */
    agentId: z.string().min(1).optional(),
    /** A service client (ID-3); the presenting client must be this client. */
    clientId: z.string().min(1).optional(),
  })
  .refine((r) => (r.agentId === undefined) !== (r.clientId === undefined), { message: 'a workload rule maps to exactly one of agentId or clientId' });
export type WorkloadRule = z.infer<typeof WorkloadRuleSchema>;

export const WorkloadIssuerSchema = z
  .object({
    ...KeySourceShape,
    /** Accepted `aud` values; empty = this server's issuer identifier and token endpoint URL (RFC 7523 §3 (3)). */
    audience: z.array(z.string().min(1)).default([]),
    /** Longest accepted assertion lifetime (exp − iat, or exp − now without iat), seconds. */
    maxLifetime: z.number().int().positive().default(3600),
    rules: z.array(WorkloadRuleSchema).min(1),
  })
  .refine(oneKeySource, { message: KEY_SOURCE_MESSAGE });
export type WorkloadIssuer = z.infer<typeof WorkloadIssuerSchema>;

/** Which of our clients may present this issuer's ID-JAGs, and for what. */
export const IdJagClientPolicySchema = z.object({
  clientId: z.string().min(1),
  /**
   * The most this client gets through this issuer's ID-JAGs: granted = asked ∩ scopes. Never an
   * administrator scope (endpoints/paths.ts isAdministratorScope): another domain's assertion is
   * too weak a proof for the keys to this server, as upstream SSO never email-links an administrator.
   */
  scopes: z
    .array(
      z.string().min(1).refine((s) => !isAdministratorScope(s), {
        message: 'administrator scopes (mandate:admin, mandate:scim:…) cannot be granted on another issuer\'s assertion',
      }),
    )
    .min(1),
  /** Resource indicators the tokens may be issued for; empty = any the server serves. */
  resources: z.array(z.string().min(1)).default([]),
});
export type IdJagClientPolicy = z.infer<typeof IdJagClientPolicySchema>;

/**
 * How the asserted user is found here (no just-in-time creation): `email` = the local user whose
 * email equals the JWT's `email` claim; `sub` = the local user named in `users` for the JWT's `sub`.
 */
const UserMappingShape = {
  subjectClaim: z.enum(['email', 'sub']).default('email'),
  users: z.record(z.string(), z.string()).default({}),
  /**
   * With `email` mapping: the domains (after the "@", exact, ASCII case-insensitive) this issuer is
   * authoritative for. Trusting a partner for its users must not trust it for ours: without this
   * list, its directory could assert ceo@our-company.example, "verified", and be mapped to our CEO.
   * Required (non-empty) whenever `subjectClaim` is `email`, for ID-JAG and ID token issuers alike.
   */
  emailDomains: z.array(z.string().min(1)).default([]),
  /**
   * The issuer's `acr` values that count as one of our classes (federation/acr-mappings.ts), as for
   * upstream providers; an unmapped acr is dropped from the tokens we issue. `auth_time` is copied
   * (when the user logged in there, not a class of ours). `amr` (RFC 8176 registered method names)
   * is not carried by the jwt-bearer grant; token exchange passes it on as the issuer's statement.
   */
  acrMappings: AcrMappingsSchema,
};

export const IdJagIssuerSchema = z
  .object({
    ...KeySourceShape,
    ...UserMappingShape,
    clients: z.array(IdJagClientPolicySchema).min(1),
    /** Longest accepted ID-JAG lifetime, seconds: the draft wants them short-lived. */
    maxLifetime: z.number().int().positive().default(600),
  })
  .refine(oneKeySource, { message: KEY_SOURCE_MESSAGE })
  // Without a domain list a partner's directory could assert any address, ours included (see emailDomains).
  .refine((i) => i.subjectClaim !== 'email' || i.emailDomains.length > 0, {
    message: 'an ID-JAG issuer mapping users by email needs emailDomains (the domains it is authoritative for), or map by sub',
    path: ['emailDomains'],
  });
export type IdJagIssuer = z.infer<typeof IdJagIssuerSchema>;

/**
 * Which of our clients may exchange an OpenID Provider's ID tokens (token exchange), and for what:
 * the ID-JAG policy plus the client ids at that provider the client stands for.
 */
const IdTokenClientPolicySchema = IdJagClientPolicySchema.extend({
  /**
   * Our client ids at the issuer (among the issuer's `audiences`) whose ID tokens this client may
   * exchange: the token's `azp`, or its only `aud`, must be one. Empty = any of the issuer's
   * audiences — refused for a public client at exchange time: anyone can call as a public
   * client, so without this an ID token issued to our confidential web app could be redeemed by
   * whoever obtained it, through the native app's client id.
   */
  audiences: z.array(z.string().min(1)).default([]),
});
export type IdTokenClientPolicy = z.infer<typeof IdTokenClientPolicySchema>;

/** What maps a trusted issuer's subject to a local user (grants/jwt-bearer/id-jag-subject.ts). */
export type UserMapping = Pick<IdJagIssuer, 'issuer' | 'subjectClaim' | 'users' | 'emailDomains'>;

export const IdTokenIssuerSchema = z
  .object({
    ...KeySourceShape,
    /**
     * OIDC Core §3.1.3.7 (3): the client ids registered at that issuer whose ID tokens we accept;
     * every `aud` of the ID token must be one of them (no untrusted co-audience), `azp` must be one
     * when present and is required with several audiences (4, 5). Never this server's own issuer
     * or token endpoint: a JWT addressed to us is an assertion, refused as an ID token.
     */
    audiences: z.array(z.string().min(1)).min(1),
    /** `email` mapping also requires `email_verified: true` in the ID token. */
    ...UserMappingShape,
    /** Which of our clients may exchange these ID tokens, and the scope ceiling for each. */
    clients: z.array(IdTokenClientPolicySchema).min(1),
    /**
     * Longest accepted ID token lifetime (exp − iat), seconds: it also bounds the token's age, as
     * an unexpired token is at most this old. An ID token proves a recent login, not a session.
     */
    maxLifetime: z.number().int().positive().default(3600),
  })
  .refine(oneKeySource, { message: KEY_SOURCE_MESSAGE })
  .refine((i) => i.clients.every((c) => c.audiences.every((aud) => i.audiences.includes(aud))), {
    message: "a client policy's audiences must be among the issuer's audiences",
    path: ['clients'],
  })
  .refine((i) => i.subjectClaim !== 'email' || i.emailDomains.length > 0, {
    message: 'an ID token issuer mapping users by email needs emailDomains (the domains it is authoritative for), or map by sub',
    path: ['emailDomains'],
  });
export type IdTokenIssuer = z.infer<typeof IdTokenIssuerSchema>;

export const FederationSchema = z
  .object({
    workloadIssuers: z.array(WorkloadIssuerSchema).default([]),
    idJagIssuers: z.array(IdJagIssuerSchema).default([]),
    idTokenIssuers: z.array(IdTokenIssuerSchema).default([]),
    /** OpenID Providers users sign in with (SSO, HU-1/EN-1): federation/upstream-schema.ts. */
    upstreamProviders: UpstreamProvidersSchema,
    /**
     * Development/test allowance only (like cimd.devAllowedHosts): host:port pairs whose jwksUri
     * may be fetched over plain http and from loopback or private addresses. Refused in production.
     */
    devAllowedHosts: z.array(z.string()).default([]),
    jwksTimeoutMs: z.number().int().positive().default(5000),
    jwksMaxBytes: z.number().int().positive().default(64 * 1024),
    /** How long fetched JWK Sets are used before they are fetched again, seconds. */
    jwksCacheSeconds: z.number().int().positive().default(600),
  })
  .superRefine(checkWorkloadIdTokenOverlap)
  .prefault({});
export type FederationConfig = z.infer<typeof FederationSchema>;

/**
 * RFC 8725 §2.8 (cross-JWT confusion): one provider may be trusted both for workload JWTs and for
 * users' ID tokens (a cloud that mints both with the same keys). Both kinds are typically
 * `typ: JWT`, so only `aud` tells them apart: an audience accepted for both would let a
 * workload's JWT log in as a user, or a user's ID token act as a workload.
 */
function checkWorkloadIdTokenOverlap(config: { workloadIssuers: WorkloadIssuer[]; idTokenIssuers: IdTokenIssuer[] }, ctx: z.RefinementCtx): void {
  config.idTokenIssuers.forEach((idIssuer, index) => {
    for (const workload of config.workloadIssuers.filter((w) => w.issuer === idIssuer.issuer)) {
      const shared = idIssuer.audiences.filter((aud) => workload.audience.includes(aud));
      if (shared.length > 0) {
        ctx.addIssue({ code: 'custom', path: ['idTokenIssuers', index, 'audiences'], message: `the issuer ${idIssuer.issuer} is also a workload issuer: its ID token audiences must differ from its workload audiences (${shared.join(', ')})` });
      }
    }
  });
}
