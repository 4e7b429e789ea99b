/**
 * RFC 9470 step-up checks: the token's `acr` must be at least the tool's minimum (in the
 * configured ranking, weakest first) and `auth_time` no older than `max_age`.
 */
import type { AuthContext, ToolPolicy } from '../core/types.ts';

export interface StepUpNeed {
  acrValues?: string[];
  maxAge?: number;
  description: string;
}

/** Acceptable acr values for a minimum: it and every stronger one, strongest first. */
export function acceptableAcrs(minAcr: string, ranking: readonly string[]): string[] {
  const i = ranking.indexOf(minAcr);
  return i === -1 ? [minAcr] : ranking.slice(i).reverse();
}

export function stepUpNeed(auth: AuthContext, policy: ToolPolicy, ranking: readonly string[], now: number): StepUpNeed | undefined {
  const need: StepUpNeed = { description: '' };
  const reasons: string[] = [];
  if (policy.minAcr !== undefined) {
    const ok = acceptableAcrs(policy.minAcr, ranking);
    if (auth.acr === undefined || !ok.includes(auth.acr)) {
      need.acrValues = ok;
      reasons.push(`a stronger authentication (${policy.minAcr}) is required`);
    }
  }
  if (policy.maxAge !== undefined && (auth.authTime === undefined || now - auth.authTime > policy.maxAge)) {
    need.maxAge = policy.maxAge;
    // §3: when the acr is also too weak, the client asks for both at once.
    if (policy.minAcr !== undefined) need.acrValues ??= acceptableAcrs(policy.minAcr, ranking);
    reasons.push(`a more recent authentication (within ${policy.maxAge} s) is required`);
  }
  if (reasons.length === 0) return undefined;
  need.description = reasons.join('; ');
  return need;
}
