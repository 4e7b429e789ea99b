/**
 * The JSON shapes of agent identities (ID-2), shared by the owner routes (routes.ts) and the admin
 * API (admin/agents.ts): snake_case like the OAuth RFCs. Views never carry anything secret (an
 * agent has no secret: it proves itself with its own key pair or its client's credentials).
 */
import { z } from 'zod';
import { isValidScopeToken } from '@mandate/protocol';
import type { AgentRecord } from '../storage/records.ts';

/** RFC 7518 §6 private members and symmetric keys: never registered. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const scopeToken = z.string().refine(isValidScopeToken, 'not a valid scope token (RFC 6749 §3.3)');

/** An audience is a resource indicator: an absolute URI without a fragment (RFC 8707 §2). */
const audience = z
  .string()
  .max(2000)
  .refine((value) => URL.canParse(value) && !value.includes('#'), 'must be an absolute URI without a fragment (RFC 8707 §2)');

/** MCP tool names: letters, digits and `_ - . /`. */
const toolName = z.string().regex(/^[A-Za-z0-9_.\-/]{1,128}$/, 'must be 1-128 letters, digits, _ - . or /');

const publicJwk = z
  .record(z.string(), z.unknown())
  .refine((key) => ['EC', 'RSA', 'OKP'].includes(String(key.kty)), 'kty must be EC, RSA or OKP (asymmetric keys only)')
  .refine((key) => !PRIVATE_JWK_MEMBERS.some((m) => m in key), 'contains a private key member: register public keys only');

/** EN-4: what runs the agent. Only these names, so policies and tokens agree on them. */
export const Attestation = z.strictObject({
  model: z.string().min(1).max(200).optional(),
  runtime: z.string().min(1).max(200).optional(),
  publisher: z.string().min(1).max(200).optional(),
});

const fields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000),
  allowed_scopes: z.array(scopeToken).max(100),
  allowed_audiences: z.array(audience).max(50),
  allowed_tools: z.array(toolName).max(500),
  max_delegation_depth: z.number().int().min(0).max(10).describe('How long the act chain below this agent may grow (DL-4).'),
  attestation: Attestation.nullable(),
  jwks: z.strictObject({ keys: z.array(publicJwk).min(1).max(10) }).nullable().describe('Public keys the agent signs its actor tokens with.'),
};

export const CreateAgentBody = z.strictObject({
  name: fields.name,
  description: fields.description.default(''),
  allowed_scopes: fields.allowed_scopes.default([]),
  allowed_audiences: fields.allowed_audiences.default([]),
  allowed_tools: fields.allowed_tools.default([]),
  max_delegation_depth: fields.max_delegation_depth.default(1),
  attestation: fields.attestation.default(null),
  jwks: fields.jwks.default(null),
});
export type CreateAgentInput = z.output<typeof CreateAgentBody>;

/** Partial update: fields left out keep their value; null clears attestation and jwks. */
export const UpdateAgentBody = z.strictObject({
  name: fields.name.optional(),
  description: fields.description.optional(),
  allowed_scopes: fields.allowed_scopes.optional(),
  allowed_audiences: fields.allowed_audiences.optional(),
  allowed_tools: fields.allowed_tools.optional(),
  max_delegation_depth: fields.max_delegation_depth.optional(),
  attestation: fields.attestation.optional(),
  jwks: fields.jwks.optional(),
});
export type UpdateAgentInput = z.output<typeof UpdateAgentBody>;

const epoch = z.number().int().describe('Unix time, seconds');

export const AgentView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  owner_user_id: z.string(),
  allowed_scopes: z.array(z.string()),
  allowed_audiences: z.array(z.string()),
  allowed_tools: z.array(z.string()),
  max_delegation_depth: z.number().int(),
  status: z.enum(['active', 'suspended']),
  suspended_by: z.enum(['admin', 'owner']).nullable().describe('Who suspended the agent (null while active): an owner cannot re-activate an agent an administrator suspended.'),
  attestation: z.record(z.string(), z.string()).nullable(),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).nullable(),
  client_id: z.string().nullable(),
  created_at: epoch,
  updated_at: epoch,
});

export function agentView(a: AgentRecord): z.output<typeof AgentView> {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    owner_user_id: a.ownerUserId,
    allowed_scopes: a.allowedScopes,
    allowed_audiences: a.allowedAudiences,
    allowed_tools: a.allowedTools,
    max_delegation_depth: a.maxDelegationDepth,
    status: a.status,
    suspended_by: a.suspendedBy,
    attestation: a.attestation,
    jwks: a.jwks,
    client_id: a.clientId,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
  };
}
