/**
 * Where the new token may be used (RFC 8693 §2.1 `audience` and `resource`, RFC 8707, DL-6). For
 * an access token every target must be a resource this server issues for (checks/resource-indicators.ts,
 * `audience` values are treated as resource indicators) and one the agent may reach
 * (AgentRecord.allowedAudiences). An ID-JAG goes to exactly one other authorization server from
 * config.tokenExchange.idJagAudiences. Unwilling → invalid_target (§2.2.2).
 */
import { InvalidTargetError } from '@mandate/protocol';
import type { MandateConfig } from '../../config/config.ts';
import type { AgentRecord, ClientRecord } from '../../storage/records.ts';
import { checkResourceIndicators } from '../../checks/resource-indicators.ts';
import type { ExchangeRequest } from './request.ts';
import { truncate } from './request.ts';

export function accessTokenTargets(request: ExchangeRequest, config: MandateConfig): string[] {
  const targets = checkResourceIndicators([...request.resources, ...request.audiences], config);
  // OBO (DL-1): each hop's token is audience-restricted to the next hop, so a target is required.
  if (targets.length === 0) throw new InvalidTargetError('Name the target service with `resource` or `audience`: exchanged tokens are audience-restricted.');
  return targets;
}

/** DL-4: an agent obtains tokens only for the audiences it is registered for. */
export function checkAgentAudiences(agent: AgentRecord | null, targets: readonly string[]): void {
  if (agent === null) return;
  for (const t of targets) {
    if (!agent.allowedAudiences.includes(t)) throw new InvalidTargetError(`The agent '${agent.id}' may not obtain tokens for '${truncate(t)}'.`);
  }
}

export type IdJagAudience = MandateConfig['tokenExchange']['idJagAudiences'][number];

/** draft-ietf-oauth-identity-assertion-authz-grant: `audience` = the issuer of the other authorization server. */
export function idJagAudience(request: ExchangeRequest, config: MandateConfig, client: ClientRecord): IdJagAudience {
  if (request.audiences.length !== 1) throw new InvalidTargetError('An ID-JAG is issued for exactly one audience: the issuer of the other authorization server.');
  const issuer = request.audiences[0]!;
  const trusted = config.tokenExchange.idJagAudiences.find((a) => a.issuer === issuer);
  if (!trusted) throw new InvalidTargetError(`The authorization server '${truncate(issuer)}' is not in this server's ID-JAG trust list.`);
  if (trusted.clients.length > 0 && !trusted.clients.includes(client.clientId)) {
    throw new InvalidTargetError(`This client may not obtain ID-JAGs for '${truncate(issuer)}'.`);
  }
  return trusted;
}
