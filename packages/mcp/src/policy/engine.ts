/**
 * The Cedar policy engine behind ToolPolicy (RS-5): fine-grained decisions beyond scopes —
 * whose records (relationships), which actions (status yes, delete no), by whom (trust, chain depth).
 *
 * Default deny (Cedar): a call is allowed only when a permit matches and no forbid does.
 * tools/list (no resource yet) uses partial evaluation with the resource unknown: the tool is
 * hidden only when the answer is "deny" whatever the resource is (RS-3); otherwise it is listed and
 * the real decision is made per call, on the resolved resource.
 * Any evaluation failure denies (fail closed) with Cedar's message as the reason.
 */
import { isAuthorized, isAuthorizedPartial, type Context, type EntityJson } from '@cedar-policy/cedar-wasm/nodejs';
import type { AuthContext, EntityRef, PolicyDecision, PolicyEngine, PolicyRequest } from '../core/types.ts';
import { loadPolicyFiles, parsePolicyText, PolicyLoadError } from './load.ts';
import { DEFAULT_ENTITY_TYPES, entityUid, principalEntity, principalId, refEntity, toCedarRecord, uniqueEntities, userEntities, type EntityTypes, type UserAttributes } from './entities.ts';

export interface CedarEngineOptions {
  /** `.cedar` files or directories of them. */
  policyFiles?: string | string[];
  /** Or the policy text itself (tests, generated policies). */
  policyText?: string;
  /** The action entity type: `<namespace>::Action::"<tool>"`; without a namespace `Action::"<tool>"`. */
  namespace?: string;
  entityTypes?: Partial<EntityTypes>;
  /** The resource used for calls whose tool declares no resolver. Default `<namespace>::Server::"mcp"`. */
  defaultResource?: (auth: AuthContext) => EntityRef;
  /** The user's roles, groups, manager and other attributes, from this server's own directory. */
  directory?: (userId: string, auth: AuthContext) => UserAttributes | undefined | Promise<UserAttributes | undefined>;
  /** Further entities the policies need (the resource's owner, a team, …). */
  entities?: (request: PolicyRequest) => EntityRef[] | Promise<EntityRef[]>;
}

export interface CedarPolicyEngine extends PolicyEngine {
  /** Policy ids loaded, for logs and health checks. */
  readonly policyIds: string[];
}

export function createCedarPolicyEngine(options: CedarEngineOptions): CedarPolicyEngine {
  const policies = loadAll(options);
  const types: EntityTypes = { ...DEFAULT_ENTITY_TYPES, ...options.entityTypes };
  const prefix = options.namespace ? `${options.namespace}::` : '';
  const actionType = `${prefix}Action`;
  const defaultResource = options.defaultResource ?? (() => ({ type: `${prefix}Server`, id: 'mcp' }));

  async function entitiesFor(request: PolicyRequest, resource: EntityRef | undefined): Promise<EntityJson[]> {
    const { auth } = request;
    const list: EntityJson[] = [principalEntity(auth, types)];
    if (resource) list.push(refEntity(resource));
    if (auth.user !== undefined) list.push(...userEntities(auth.user, await options.directory?.(auth.user, auth), types));
    for (const extra of (await options.entities?.(request)) ?? []) list.push(refEntity(extra));
    return uniqueEntities(list);
  }

  return {
    policyIds: Object.keys(policies),
    async authorize(request: PolicyRequest): Promise<PolicyDecision> {
      const principal = entityUid(types.agent, principalId(request.auth));
      const action = entityUid(actionType, request.action);
      const context = toCedarRecord(request.context) as Context;
      const resource = request.resource ?? (request.phase === 'call' ? defaultResource(request.auth) : undefined);
      const entities = await entitiesFor(request, resource);
      const call = { principal, action, context, policies: { staticPolicies: policies }, entities };
      if (resource === undefined) return listDecision(isAuthorizedPartial({ ...call, resource: null }), request.action);
      const answer = isAuthorized({ ...call, resource: entityUid(resource.type, resource.id) });
      if (answer.type === 'failure') return { allow: false, reason: `policy evaluation failed: ${answer.errors.map((e) => e.message).join('; ')}` };
      const { decision, diagnostics } = answer.response;
      if (decision === 'allow') return { allow: true, policies: diagnostics.reason };
      const errors = diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`);
      const why = diagnostics.reason.length > 0 ? `forbidden by policy ${diagnostics.reason.join(', ')}` : `no policy permits ${request.action} on ${resource.type}::"${resource.id}"`;
      return { allow: false, reason: errors.length > 0 ? `${why} (errors: ${errors.join('; ')})` : why, policies: diagnostics.reason };
    },
  };
}

function listDecision(answer: ReturnType<typeof isAuthorizedPartial>, action: string): PolicyDecision {
  if (answer.type === 'failure') return { allow: false, reason: `policy evaluation failed: ${answer.errors.map((e) => e.message).join('; ')}` };
  const { decision, mustBeDetermining } = answer.response;
  // null = it depends on the resource: list the tool, decide per call.
  if (decision === 'deny') {
    return { allow: false, reason: mustBeDetermining.length > 0 ? `forbidden by policy ${mustBeDetermining.join(', ')}` : `no policy permits ${action} on any resource`, policies: mustBeDetermining };
  }
  return { allow: true, policies: mustBeDetermining };
}

function loadAll(options: CedarEngineOptions): Record<string, string> {
  const out: Record<string, string> = {};
  if (options.policyFiles !== undefined) Object.assign(out, loadPolicyFiles(options.policyFiles).policies);
  if (options.policyText !== undefined) Object.assign(out, parsePolicyText(options.policyText, '<policyText>'));
  // Cedar denies by default: an empty set would refuse every call, which is never what was meant.
  if (Object.keys(out).length === 0) throw new PolicyLoadError('The Cedar engine was given no policies (policyFiles or policyText).');
  return out;
}
