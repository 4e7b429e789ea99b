/**
 * The token profile and chain limits for a target (DL-2): per resource from
 * config.tokenExchange.resources, else the default. Several targets must agree on the profile,
 * since one token has one `sub`.
 */
import { InvalidTargetError } from '@mandate/protocol';
import type { MandateConfig } from '../../config/config.ts';
import type { Profile } from './act-chain.ts';

export type ResourcePolicy = MandateConfig['tokenExchange']['resources'][number];

export function resourcePolicy(config: Pick<MandateConfig, 'tokenExchange'>, resource: string): ResourcePolicy | undefined {
  return config.tokenExchange.resources.find((r) => r.resource === resource);
}

export function chooseProfile(config: Pick<MandateConfig, 'tokenExchange'>, targets: readonly string[]): Profile {
  const profiles = new Set(targets.map((t) => resourcePolicy(config, t)?.profile ?? config.tokenExchange.defaultProfile));
  if (profiles.size > 1) throw new InvalidTargetError('The requested targets use different token profiles (impersonation and delegation): ask for one profile per token.');
  return [...profiles][0] ?? config.tokenExchange.defaultProfile;
}

/** The longest chain allowed: the server's, each target's and the acting agent's limit (DL-4). */
export function maxChainDepth(config: Pick<MandateConfig, 'tokenExchange'>, targets: readonly string[], agentLimit: number | null): number {
  const limits = [config.tokenExchange.maxDepth, ...targets.map((t) => resourcePolicy(config, t)?.maxDepth ?? Infinity)];
  if (agentLimit !== null) limits.push(agentLimit);
  return Math.min(...limits);
}
