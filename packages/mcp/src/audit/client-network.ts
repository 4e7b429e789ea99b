/**
 * The network a client address is coalesced by (auth-failure-coalescer.ts). Keying refusals by the
 * full address would let one IPv6 subscriber — who is routinely given a whole /64, 2^64 addresses —
 * fill the coalescer's table with distinct kinds from one network. So an IPv6 address counts as its
 * /64 (the smallest prefix a site is assigned, RFC 6177), an IPv4 address as itself, and an
 * IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, what a dual-stack socket reports for an IPv4 peer) as
 * the IPv4 address it maps, so both forms of one peer are one kind.
 *
 * Every textual form of one address gives the same key: the text is canonicalised by the WHATWG URL
 * host parser (lowercase hex, no leading zeros, `::` compression, embedded IPv4 as hex), so only its
 * canonical output is split here, never arbitrary input.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The coalescing key of `ip`: the IPv4 address, or an IPv6 address's `/64`; anything else as given. */
export function clientNetworkOf(ip: string): string {
  if (isIPv4(ip)) return ip; // node:net accepts only canonical dotted decimal (no leading zeros)
  if (!isIPv6(ip)) return ip; // not an address (an adapter's own value): nothing to group it with
  let groups: number[];
  try {
    groups = ipv6Groups(ip);
  } catch {
    return ip; // node:net and the URL parser disagree on this text: keyed as given, as before
  }
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of an address `isIPv6` accepted. */
function ipv6Groups(ip: string): number[] {
  // A zone id (`fe80::1%eth0`) names the local interface, not the peer: not part of its network.
  const zone = ip.indexOf('%');
  const address = zone === -1 ? ip : ip.slice(0, zone);
  // Canonical form: hex groups, at most one `::`, no embedded IPv4.
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head = '', tail] = canonical.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros: string[] = new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16));
}
