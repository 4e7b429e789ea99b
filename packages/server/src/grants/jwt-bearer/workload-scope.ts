/**
 * The scopes a workload token may carry: exactly what client credentials of the same client would
 * allow (grants/client-credentials/checks.ts), so a workload JWT never buys more than the client's
 * own credentials could. The client's allowance is its registered scope (any configured scope when
 * it registered none, clients/metadata.ts); a self-registered client (DCR, CIMD) gets only the
 * operator's `selfRegisteredClients.clientCredentialsScopes` within it (client-credentials/
 * self-registered.ts: none → invalid_scope). A token for an agent is further bounded by the agent's
 * allowedScopes (DL-4, ID-2). User-only scopes never: a workload acts for itself.
 */
import type { MandateConfig } from '../../config/config.ts';
import type { ClientRecord } from '../../storage/records.ts';
import { scopeTokens } from '../../checks/scope.ts';
import { isSelfRegistered } from '../../clients/self-registered.ts';
import { selfRegisteredClientCredentialsScopes, USER_ONLY_SCOPES } from '../client-credentials/self-registered.ts';
import type { WorkloadIdentity } from './workload-identity.ts';

type ScopeConfig = Pick<MandateConfig, 'scopesSupported' | 'selfRegisteredClients'>;

export function workloadAllowedScopes(identity: WorkloadIdentity, config: ScopeConfig): string[] {
  const clientAllowance = clientScopes(identity.client, config);
  const bounded = identity.kind === 'agent' ? clientAllowance.filter((s) => identity.agent.allowedScopes.includes(s)) : clientAllowance;
  return bounded.filter((s) => !USER_ONLY_SCOPES.has(s));
}

/** What the client may hold through client credentials (RFC 6749 §3.3, §4.4.2). */
function clientScopes(client: ClientRecord, config: ScopeConfig): string[] {
  if (isSelfRegistered(client)) return [...selfRegisteredClientCredentialsScopes(client, config)];
  const registered = scopeTokens(client.scope);
  return registered.length > 0 ? registered : config.scopesSupported;
}
