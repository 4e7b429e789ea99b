/**
 * The key a per-address rate limit counts under.
 *
 * IPv4 peers are counted by their full address. IPv6 peers are counted by their /64 prefix: one
 * subscriber is routinely given a whole /64 (RFC 6177 §2, RFC 7421), so keying by the full address
 * would hand one caller 2^64 fresh counters and let the limiter's map grow without bound.
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, RFC 4291 §2.5.5.2), which a dual-stack socket
 * reports for IPv4 peers, are counted as the IPv4 address they carry, so both spellings share a key.
 */
import { isIP } from 'node:net';
import { ipv6Groups, mappedIpv4 } from '../clients/ssrf-address.ts';

/** Peers whose address is unknown (no socket) share one key. */
const UNKNOWN = 'unknown';

export function rateLimitKey(address: string | null | undefined): string {
  if (!address) return UNKNOWN;
  if (isIP(address) === 4) return address;
  // ipv6Groups drops a zone index (RFC 4007 §11: it names the local interface, not the peer).
  const groups = ipv6Groups(address);
  if (groups === null) return address;
  const mapped = mappedIpv4(groups);
  if (mapped !== null) return mapped;
  return `${groups.slice(0, 4).map((h) => h.toString(16)).join(':')}::/64`;
}
