/**
 * Which IP addresses an outbound fetch of client-supplied URLs (Client ID Metadata Documents,
 * jwks_uri) may connect to. Anything that is not globally routable unicast is refused: a client_id
 * URL must never let a caller reach the server's own network (cloud metadata at 169.254.169.254,
 * admin ports on loopback, private subnets). AS-6 / CIMD draft §6.5 "Server-Side Request Forgery".
 *
 * IPv6 forms that embed an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4
 * 2002::/16, IPv4-compatible ::a.b.c.d) are judged by the IPv4 address they carry, so
 * `::ffff:127.0.0.1` is loopback exactly like `127.0.0.1`.
 */
import { BlockList, isIP } from 'node:net';

export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'shared'
  | 'multicast'
  | 'reserved'
  | 'documentation'
  | 'invalid';

/** IPv4 special-purpose ranges (RFC 6890 registry) that are not globally reachable. */
const V4_RANGES: [string, number, AddressClass][] = [
  ['0.0.0.0', 8, 'unspecified'], // RFC 1122 "this network"
  ['10.0.0.0', 8, 'private'], // RFC 1918
  ['100.64.0.0', 10, 'shared'], // RFC 6598 carrier-grade NAT
  ['127.0.0.0', 8, 'loopback'], // RFC 1122
  ['169.254.0.0', 16, 'link-local'], // RFC 3927, cloud metadata services
  ['172.16.0.0', 12, 'private'], // RFC 1918
  ['192.0.0.0', 24, 'reserved'], // RFC 6890 IETF protocol assignments
  ['192.0.2.0', 24, 'documentation'], // RFC 5737
  ['192.88.99.0', 24, 'reserved'], // RFC 7526 deprecated 6to4 relay
  ['192.168.0.0', 16, 'private'], // RFC 1918
  ['198.18.0.0', 15, 'reserved'], // RFC 2544 benchmarking
  ['198.51.100.0', 24, 'documentation'], // RFC 5737
  ['203.0.113.0', 24, 'documentation'], // RFC 5737
  ['224.0.0.0', 4, 'multicast'], // RFC 5771
  ['240.0.0.0', 4, 'reserved'], // RFC 1112, includes 255.255.255.255 broadcast
];

/** IPv6 special-purpose ranges (RFC 6890 / IANA registry) judged directly. */
const V6_RANGES: [string, number, AddressClass][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['64:ff9b:1::', 48, 'private'], // RFC 8215 local-use NAT64
  ['100::', 64, 'reserved'], // RFC 6666 discard-only
  ['2001::', 32, 'reserved'], // RFC 4380 Teredo: tunnels to arbitrary IPv4, cannot be vetted
  ['2001:db8::', 32, 'documentation'], // RFC 3849
  ['fc00::', 7, 'private'], // RFC 4193 unique local
  ['fe80::', 10, 'link-local'], // RFC 4291
  ['fec0::', 10, 'private'], // RFC 3879 deprecated site-local
  ['ff00::', 8, 'multicast'], // RFC 4291
];

function buildLists(ranges: [string, number, AddressClass][], family: 'ipv4' | 'ipv6'): [BlockList, AddressClass][] {
  return ranges.map(([net, prefix, cls]) => {
    const list = new BlockList();
    list.addSubnet(net, prefix, family);
    return [list, cls];
  });
}

const V4_LISTS = buildLists(V4_RANGES, 'ipv4');
const V6_LISTS = buildLists(V6_RANGES, 'ipv6');

/** Expands an IPv6 address (any textual form, optional %zone) to its 8 16-bit groups. */
export function ipv6Groups(address: string): number[] | null {
  let text = address.split('%')[0] ?? '';
  if (isIP(text) !== 6) return null;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    // Trailing dotted IPv4 (e.g. ::ffff:1.2.3.4): rewrite as two hex groups.
    const octets = tail.split('.').map(Number);
    const hex = [(octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!].map((n) => n.toString(16));
    text = `${text.slice(0, lastColon + 1)}${hex.join(':')}`;
  }
  const [head, rest] = text.includes('::') ? (text.split('::') as [string, string]) : [text, null];
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === null || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...Array<string>(rest === null ? 0 : missing).fill('0'), ...restGroups];
  return groups.length === 8 ? groups.map((g) => parseInt(g, 16)) : null;
}

function v4FromGroups(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** The IPv4 address of an IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2), from its groups. */
export function mappedIpv4(groups: number[]): string | null {
  const isMapped = groups.length === 8 && groups.slice(0, 5).every((h) => h === 0) && groups[5] === 0xffff;
  return isMapped ? v4FromGroups(groups[6]!, groups[7]!) : null;
}

/** The IPv4 address an IPv6 address carries, when it is one of the embedding forms. */
export function embeddedIpv4(address: string): string | null {
  const g = ipv6Groups(address);
  if (!g) return null;
  const mapped = mappedIpv4(g);
  if (mapped !== null) return mapped;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const zeroPrefix = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (zeroPrefix && g5 === 0 && (g6 !== 0 || g7 > 1)) return v4FromGroups(g6, g7); // §2.5.5.1 IPv4-compatible
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return v4FromGroups(g6, g7); // RFC 6052 NAT64
  if (g0 === 0x2002) return v4FromGroups(g1, g2); // RFC 3056 6to4
  return null;
}

/** Classifies an IP address literal; only 'public' may be connected to. */
export function classifyAddress(address: string): AddressClass {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare.split('%')[0] ?? '');
  if (family === 4) {
    for (const [list, cls] of V4_LISTS) if (list.check(bare, 'ipv4')) return cls;
    return 'public';
  }
  if (family === 6) {
    const v4 = embeddedIpv4(bare);
    if (v4 !== null) return classifyAddress(v4);
    const plain = bare.split('%')[0] ?? '';
    for (const [list, cls] of V6_LISTS) if (list.check(plain, 'ipv6')) return cls;
    // Only 2000::/3 is allocated global unicast; anything else is reserved.
    const first = ipv6Groups(plain)?.[0] ?? 0;
    return first >= 0x2000 && first <= 0x3fff ? 'public' : 'reserved';
  }
  return 'invalid';
}

export function isPublicAddress(address: string): boolean {
  return classifyAddress(address) === 'public';
}
