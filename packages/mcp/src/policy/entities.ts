/**
 * The Cedar request built from a verified call:
 *   principal = the agent acting for the user (its user, client, delegation chain, attestation)
 *   user      = the human (roles, groups as parents, manager relation) — from the server's directory
 *   resource  = the entity the tool touches (EntityRef from the tool's resolver)
 *   context   = acr, auth time, now, chain depth, client trust level, expanded scopes, extras
 * RS-6: roles belong to the user entity; the agent entity carries only what was delegated to it.
 */
import type { CedarValueJson, EntityJson } from '@cedar-policy/cedar-wasm/nodejs';
import type { AuthContext, EntityRef } from '../core/types.ts';

export interface EntityTypes {
  agent: string;
  user: string;
  group: string;
}

export const DEFAULT_ENTITY_TYPES: EntityTypes = { agent: 'Mandate::Agent', user: 'Mandate::User', group: 'Mandate::Group' };

/** What the resource server knows about a user (its own directory: HR data, IdP groups, …). */
export interface UserAttributes {
  roles?: string[];
  groups?: string[];
  /** The user's manager (a user id): `principal.user.manager`. */
  manager?: string;
  attributes?: Record<string, unknown>;
}

export function entityUid(type: string, id: string): { type: string; id: string } {
  return { type, id };
}

/** A Cedar entity reference as an attribute value. */
export function entityValue(type: string, id: string): CedarValueJson {
  return { __entity: { type, id } };
}

/**
 * JSON values to Cedar JSON: arrays are sets, objects records (an `__entity` / `__extn` object is
 * kept as written), integers Longs, other numbers decimals (Cedar has no floats), and undefined /
 * null members omitted (Cedar has no null: policies test presence with `has`).
 */
export function toCedarValue(value: unknown): CedarValueJson | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value;
    if (!Number.isFinite(value)) return undefined;
    return { __extn: { fn: 'decimal', arg: value.toFixed(4) } };
  }
  if (Array.isArray(value)) return value.map(toCedarValue).filter((v): v is CedarValueJson => v !== undefined);
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if ('__entity' in obj || '__extn' in obj) return obj as CedarValueJson;
    return toCedarRecord(obj);
  }
  return undefined;
}

export function toCedarRecord(obj: Record<string, unknown>): Record<string, CedarValueJson> {
  const out: Record<string, CedarValueJson> = {};
  for (const [key, v] of Object.entries(obj)) {
    const converted = toCedarValue(v);
    if (converted !== undefined) out[key] = converted;
  }
  return out;
}

/** The principal: the agent (or, with no agent, the client software) acting for the user. */
export function principalEntity(auth: AuthContext, types: EntityTypes): EntityJson {
  const attrs: Record<string, unknown> = {
    kind: auth.agent !== undefined ? 'agent' : 'client',
    clientId: auth.clientId,
    chain: auth.actorChain.map((a) => a.sub),
    chainDepth: auth.actorChain.length,
    trustLevel: auth.clientTrustLevel,
    delegatedScopes: auth.scopes,
  };
  if (auth.agent !== undefined) attrs.agentId = auth.agent;
  if (auth.user !== undefined) attrs.user = entityValue(types.user, auth.user);
  // EN-4: the model and runtime the AS attested for this agent (issue 3, agent_attestation claim).
  const attestation = auth.claims.agent_attestation;
  if (attestation !== null && typeof attestation === 'object' && !Array.isArray(attestation)) attrs.attestation = attestation;
  return { uid: entityUid(types.agent, principalId(auth)), attrs: toCedarRecord(attrs), parents: [] };
}

export function principalId(auth: AuthContext): string {
  return auth.agent ?? auth.clientId;
}

/** The user and their groups (groups are the user's parents: `principal.user in Mandate::Group::"hr"`). */
export function userEntities(userId: string, known: UserAttributes | undefined, types: EntityTypes): EntityJson[] {
  const groups = known?.groups ?? [];
  const attrs: Record<string, unknown> = { ...(known?.attributes ?? {}), roles: known?.roles ?? [], groups };
  if (known?.manager !== undefined) attrs.manager = entityValue(types.user, known.manager);
  const user: EntityJson = { uid: entityUid(types.user, userId), attrs: toCedarRecord(attrs), parents: groups.map((g) => entityUid(types.group, g)) };
  return [user, ...groups.map((g) => ({ uid: entityUid(types.group, g), attrs: {}, parents: [] }))];
}

export function refEntity(ref: EntityRef): EntityJson {
  return { uid: entityUid(ref.type, ref.id), attrs: toCedarRecord(ref.attributes ?? {}), parents: (ref.parents ?? []).map((p) => entityUid(p.type, p.id)) };
}

/** One entity per uid: the first description wins (the principal and resource come first). */
export function uniqueEntities(entities: EntityJson[]): EntityJson[] {
  const seen = new Set<string>();
  const out: EntityJson[] = [];
  for (const e of entities) {
    const uid = e.uid as { type: string; id: string };
    const key = `${uid.type}::${JSON.stringify(uid.id)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}
