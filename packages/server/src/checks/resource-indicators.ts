/**
 * RFC 8707 §2: a resource indicator is an absolute URI without a fragment. Mandate also requires
 * https (http only for loopback, AS-4) and, when the server lists its resources, one of those.
 * Several may be given; the token's `aud` is the list.
 */
import { InvalidTargetError } from '@mandate/protocol';
import type { MandateConfig } from '../config/config.ts';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function checkResourceIndicators(values: string[], config: Pick<MandateConfig, 'resources'>): string[] {
  const out: string[] = [];
  for (const value of values) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new InvalidTargetError(`The resource '${truncate(value)}' is not an absolute URI.`);
    }
    if (url.hash !== '' || value.includes('#')) throw new InvalidTargetError('A resource indicator must not contain a fragment (RFC 8707 §2).');
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
      throw new InvalidTargetError('A resource indicator must be an https URI (http only on loopback).');
    }
    if (url.username || url.password) throw new InvalidTargetError('A resource indicator must not carry credentials.');
    if (config.resources.length > 0 && !config.resources.includes(value)) {
      throw new InvalidTargetError(`The resource '${truncate(value)}' is not served by this authorization server.`);
    }
    if (!out.includes(value)) out.push(value);
  }
  return out;
}

/** RFC 8707 §2.2: at the token endpoint the resources must be a subset of those granted. */
export function checkResourcesWithinGrant(requested: string[], granted: string[]): string[] {
  if (requested.length === 0) return granted;
  for (const r of requested) {
    if (!granted.includes(r)) throw new InvalidTargetError(`The resource '${truncate(r)}' was not part of the original grant.`);
  }
  return requested;
}

function truncate(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}…` : value;
}
