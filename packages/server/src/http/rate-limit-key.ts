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

/** Peers whose address is unknown (no socket) share one key. */
const UNKNOWN = 'unknown';

export function rateLimitKey(address: string | null | undefined): string {
  if (!address) return UNKNOWN;
  // RFC 4007 §11: a zone index names the local interface, not the peer.
  const bare = address.split('%')[0]!;
  const version = isIP(bare);
  if (version === 4) return bare;
  if (version !== 6) return address;
  const hextets = ipv6Hextets(bare);
  if (isIpv4Mapped(hextets)) return `${hextets[6]! >> 8}.${hextets[6]! & 0xff}.${hextets[7]! >> 8}.${hextets[7]! & 0xff}`;
  return `${hextets.slice(0, 4).map((h) => h.toString(16)).join(':')}::/64`;
}

function isIpv4Mapped(hextets: number[]): boolean {
  return hextets.slice(0, 5).every((h) => h === 0) && hextets[5] === 0xffff;
}

/** The eight 16-bit groups of a valid IPv6 address (already checked by isIP), with `::` expanded. */
function ipv6Hextets(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const groups = (part: string | undefined): number[] => (part ? part.split(':').flatMap(group) : []);
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/** One group, or an embedded dotted IPv4 tail (RFC 4291 §2.2 form 3), which stands for two groups. */
function group(text: string): number[] {
  if (!text.includes('.')) return [parseInt(text, 16)];
  const [a = 0, b = 0, c = 0, d = 0] = text.split('.').map(Number);
  return [(a << 8) | b, (c << 8) | d];
}
