/**
 * Who may receive a vault credential (issue 5, VA-2), checked before the vault is touched.
 *
 * The target is named `urn:mandate:vault:<connection id>` in `audience` (or `resource`). A URN,
 * not the bare connection id: every other target of this grant is a resource indicator (RFC 8707
 * §2, an absolute URI), so a URN with our own namespace can never collide with a resource
 * server's identifier, is recognised by its prefix before any resource check, and still fits
 * `resource` for callers that only send RFC 8707 parameters.
 *
 * Refusals (RFC 8693 §2.2.2):
 * - a client or agent the policy does not list → `invalid_target` ("unwilling ... to issue a token
 *   for ... the target services"). Not `unauthorized_client`: RFC 6749 §5.2 defines that for the
 *   grant type, and the client may use token exchange — just not for this target. Policy is
 *   checked before the connection is looked up, so an unlisted client learns nothing about which
 *   connections exist.
 * - a subject that is not our access token of a user → `invalid_request` (§2.2.2, "unacceptable
 *   based on policy"): the release is on behalf of a user whose token's liveness we recorded.
 * - a subject token without the policy's scopes → `invalid_scope` (RFC 6749 §5.2, "exceeds the
 *   scope granted by the resource owner"): the remedy is the user's consent to that scope.
 */
import { InvalidRequestError, InvalidScopeError, InvalidTargetError, TokenTypeUri } from '@mandate/protocol';
import type { MandateConfig } from '../../config/config.ts';
import type { AgentRecord, ClientRecord } from '../../storage/records.ts';
import type { ExchangeRequest } from './request.ts';
import type { SubjectToken } from './subject-token.ts';
import { checkAgentAudiences } from './target.ts';
import { truncate } from './request.ts';

export const VAULT_AUDIENCE_PREFIX = 'urn:mandate:vault:';

export type ReleasePolicy = MandateConfig['vault']['release'][number];

export function vaultAudience(connectionId: string): string {
  return `${VAULT_AUDIENCE_PREFIX}${connectionId}`;
}

/** The connection id when the request targets the vault, else null. A release has exactly one target. */
export function vaultTarget(request: ExchangeRequest): string | null {
  const targets = [...new Set([...request.audiences, ...request.resources])];
  const vault = targets.filter((t) => t.startsWith(VAULT_AUDIENCE_PREFIX));
  if (vault.length === 0) return null;
  // One credential per exchange: a provider token cannot be audience-restricted to anything else.
  if (targets.length !== 1) throw new InvalidTargetError('A vault release names exactly one target: urn:mandate:vault:<connection>.');
  const id = vault[0]!.slice(VAULT_AUDIENCE_PREFIX.length);
  if (id === '') throw new InvalidTargetError('The vault target names no connection: use urn:mandate:vault:<connection>.');
  return id;
}

/** Every agent the credential would serve: the acting agent and each actor of the subject token's chain. */
export function releaseAgents(subject: SubjectToken, agent: AgentRecord | null): string[] {
  const ids = subject.chain.actors.map((a) => a.sub);
  if (agent) ids.push(agent.id);
  return [...new Set(ids)];
}

export function checkReleasePolicy(config: MandateConfig, connectionId: string, client: ClientRecord, agent: AgentRecord | null, subject: SubjectToken): ReleasePolicy {
  const policy = config.vault.release.find((p) => p.connection === connectionId && p.clients.includes(client.clientId));
  if (!policy) throw new InvalidTargetError(`This client may not receive credentials of the vault connection '${truncate(connectionId)}'.`);
  // An unlisted agent upstream must not obtain the credential by routing through a listed client.
  for (const id of releaseAgents(subject, agent)) {
    if (!policy.agents.includes(id)) throw new InvalidTargetError(`The agent '${truncate(id)}' may not receive credentials of the vault connection '${truncate(connectionId)}'.`);
  }
  checkAgentAudiences(agent, [vaultAudience(connectionId)]); // DL-4: the agent is registered for this audience too
  if (subject.type !== TokenTypeUri.AccessToken || subject.userId === null) {
    throw new InvalidRequestError("A vault credential is released only for a user's access token issued by this server (subject_token_type access_token).");
  }
  const missing = policy.scope.filter((s) => !subject.scope.has(s));
  if (missing.length > 0) throw new InvalidScopeError(`The subject_token lacks the scope this release requires: ${truncate(missing.join(' '))}.`);
  return policy;
}
