/**
 * The coalescer keys refusals by client network: an IPv6 /64 (one subscriber's allocation) must be
 * one kind whatever its addresses and however they are written.
 */
import { describe, expect, it } from 'vitest';
import { clientNetworkOf } from '../../src/audit/client-network.ts';

describe('clientNetworkOf', () => {
  it('an IPv4 address is its own network', () => {
    expect(clientNetworkOf('192.0.2.1')).toBe('192.0.2.1');
    expect(clientNetworkOf('192.0.2.2')).toBe('192.0.2.2');
  });

  it('an IPv4-mapped IPv6 address is the IPv4 address it maps, in every textual form', () => {
    for (const mapped of ['::ffff:192.0.2.1', '::FFFF:C000:201', '0:0:0:0:0:ffff:192.0.2.1', '0000:0000:0000:0000:0000:FFFF:c000:0201']) {
      expect(clientNetworkOf(mapped), mapped).toBe('192.0.2.1');
    }
  });

  it('every address of one IPv6 /64, however written, is that /64', () => {
    const forms = [
      '2001:db8:1:2::1',
      '2001:db8:1:2:ffff:ffff:ffff:fffe',
      '2001:0DB8:0001:0002:0000:0000:0000:0001',
      '2001:db8:1:2:0:0:0:1',
      '2001:db8:1:2::',
      '2001:db8:1:2:a:b::',
      '2001:db8:1:2::1%eth0',
      '2001:db8:1:2:0:0:1.2.3.4',
    ];
    for (const ip of forms) expect(clientNetworkOf(ip), ip).toBe('2001:db8:1:2::/64');
  });

  it('handles `::` at the start, in the prefix, and a zone id', () => {
    expect(clientNetworkOf('::1')).toBe('0:0:0:0::/64');
    expect(clientNetworkOf('::')).toBe('0:0:0:0::/64');
    expect(clientNetworkOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientNetworkOf('2001:db8::1:0:0:1')).toBe('2001:db8:0:0::/64'); // 2001:db8:0:0:1:0:0:1
    expect(clientNetworkOf('2001:db8::5:0:0:0:1')).toBe('2001:db8:0:5::/64'); // 2001:db8:0:5:0:0:0:1
    expect(clientNetworkOf('fe80::1%en0')).toBe('fe80:0:0:0::/64');
    // IPv4-compatible (deprecated), not mapped: an IPv6 address like another.
    expect(clientNetworkOf('::192.0.2.1')).toBe('0:0:0:0::/64');
  });

  it('different /64s stay apart', () => {
    expect(clientNetworkOf('2001:db8:1:2::1')).not.toBe(clientNetworkOf('2001:db8:1:3::1'));
    expect(clientNetworkOf('2001:db8:1:2::1')).not.toBe(clientNetworkOf('2001:db9:1:2::1'));
  });

  it('anything that is not an address is kept as given', () => {
    for (const other of ['unknown', '01.2.3.4', '[2001:db8::1]', '2001:db8::1/64', 'fe80::1%', '']) expect(clientNetworkOf(other), other).toBe(other);
  });
});
