/**
 * The scope bounds of one exchange (scope.ts intersects them): the subject token, the acting
 * agent (AgentRecord.allowedScopes) and the client's policy for each target — its per-audience
 * scopes in config.tokenExchange.resources[].clientScopes, else its registered scope, and the
 * target's own ceiling (resources[].scopes). For an ID-JAG, the trust-list entry's scopes.
 */
import type { MandateConfig } from '../../config/config.ts';
import { scopeTokens } from '../../checks/scope.ts';
import type { AgentRecord, ClientRecord } from '../../storage/records.ts';
import type { ScopeBound } from './scope.ts';
import type { SubjectToken } from './subject-token.ts';
import { resourcePolicy } from './profile.ts';
import type { IdJagAudience } from './target.ts';

export function subjectAndAgentBounds(subject: SubjectToken, agent: AgentRecord | null): ScopeBound[] {
  return [
    { name: 'subject_token', scopes: subject.scope },
    { name: agent ? `agent ${agent.id}` : 'agent', scopes: agent ? new Set(agent.allowedScopes) : null },
  ];
}

export function clientBounds(config: MandateConfig, client: ClientRecord, targets: readonly string[]): ScopeBound[] {
  const registered = client.scope.trim() === '' ? new Set(config.scopesSupported) : new Set(scopeTokens(client.scope));
  const bounds: ScopeBound[] = [{ name: 'server (scopes_supported)', scopes: new Set(config.scopesSupported) }];
  for (const target of targets) {
    const policy = resourcePolicy(config, target);
    const perAudience = policy?.clientScopes?.[client.clientId];
    bounds.push({ name: `client ${client.clientId} at ${target}`, scopes: perAudience ? new Set(perAudience) : registered });
    if (policy?.scopes) bounds.push({ name: `resource ${target}`, scopes: new Set(policy.scopes) });
  }
  return bounds;
}

export function idJagBounds(audience: IdJagAudience): ScopeBound[] {
  return [{ name: `trust list entry ${audience.issuer}`, scopes: new Set(audience.scopes) }];
}
