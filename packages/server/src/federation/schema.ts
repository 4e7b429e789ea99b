/**
 * Configuration of the external issuers whose JWTs the jwt-bearer grant (RFC 7523 §2.1) accepts:
 *
 * - workload issuers (CL-8): a CI system, a cloud or a Kubernetes cluster signs a short-lived JWT
 *   about a workload; a rule maps one of its claims to an agent or a service client, so the
 *   workload holds no secret of ours at all;
 * - ID-JAG issuers (DL-3): another company's authorization server issues Identity Assertion JWT
 *   Authorization Grants (draft-ietf-oauth-identity-assertion-authz-grant) for its users; the
 *   policy names which of our clients may present them, with which scopes and resources, and how
 *   the asserted user is found among our users.
 *
 * Keys are given by value (`jwks`) or fetched (`jwksUri`, through the SSRF-safe fetch).
 */
import { z } from 'zod';

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
  /** The most this client gets through this issuer's ID-JAGs: granted = asked ∩ scopes. */
  scopes: z.array(z.string().min(1)).min(1),
  /** Resource indicators the tokens may be issued for; empty = any the server serves. */
  resources: z.array(z.string().min(1)).default([]),
});
export type IdJagClientPolicy = z.infer<typeof IdJagClientPolicySchema>;

export const IdJagIssuerSchema = z
  .object({
    ...KeySourceShape,
    /**
     * How the asserted user is found here (no just-in-time creation): `email` = the local user
     * whose email equals the ID-JAG's `email` claim; `sub` = the local user named in `users` for
     * the ID-JAG's `sub`.
     */
    subjectClaim: z.enum(['email', 'sub']).default('email'),
    users: z.record(z.string(), z.string()).default({}),
    clients: z.array(IdJagClientPolicySchema).min(1),
    /** Longest accepted ID-JAG lifetime, seconds: the draft wants them short-lived. */
    maxLifetime: z.number().int().positive().default(600),
  })
  .refine(oneKeySource, { message: KEY_SOURCE_MESSAGE });
export type IdJagIssuer = z.infer<typeof IdJagIssuerSchema>;

export const FederationSchema = z
  .object({
    workloadIssuers: z.array(WorkloadIssuerSchema).default([]),
    idJagIssuers: z.array(IdJagIssuerSchema).default([]),
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
  .prefault({});
export type FederationConfig = z.infer<typeof FederationSchema>;
