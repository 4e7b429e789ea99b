/**
 * The resources of a token issued for an ID-JAG (RFC 8707 §2; draft §3 optional `resource`
 * claim): the `resource` parameter, which must stay within the ID-JAG's `resource` when it has
 * one, or else the ID-JAG's own resource. Each must be served here and allowed by the issuer's
 * policy for the client.
 */
import { InvalidGrantError, InvalidTargetError } from '@mandate/protocol';
import type { JWTPayload } from 'jose';
import type { MandateConfig } from '../../config/config.ts';
import type { IdJagClientPolicy } from '../../federation/schema.ts';
import { checkResourceIndicators } from '../../checks/resource-indicators.ts';

export function idJagResources(requested: string[], payload: JWTPayload, policy: IdJagClientPolicy, config: Pick<MandateConfig, 'resources'>): string[] {
  const asserted = assertedResources(payload.resource);
  if (asserted !== null) {
    for (const r of requested) {
      if (!asserted.includes(r)) throw new InvalidTargetError(`The resource '${r.slice(0, 100)}' is not one the ID-JAG was issued for.`);
    }
  }
  const resources = checkResourceIndicators(requested.length > 0 ? requested : (asserted ?? []), config);
  if (policy.resources.length > 0) {
    for (const r of resources) {
      if (!policy.resources.includes(r)) throw new InvalidTargetError(`The resource '${r.slice(0, 100)}' is not allowed for ID-JAGs presented by this client.`);
    }
  }
  return resources;
}

function assertedResources(claim: unknown): string[] | null {
  if (claim === undefined) return null;
  if (typeof claim === 'string') return [claim];
  if (Array.isArray(claim) && claim.every((r) => typeof r === 'string')) return claim as string[];
  throw new InvalidGrantError('The ID-JAG "resource" claim must be a string or an array of strings.');
}
