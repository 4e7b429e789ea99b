import { describe, expect, it } from 'vitest';
import { classifyAddress, embeddedIpv4, ipv6Groups, isPublicAddress } from '../../src/clients/ssrf-address.ts';

describe('CIMD draft §6.5 SSRF: address classification (AS-6)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.254', 'shared'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['192.0.2.10', 'documentation'],
  ])('refuses the IPv4 address %s (%s)', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '93.184.216.34'])('accepts the public IPv4 address %s', (address) => {
    expect(classifyAddress(address)).toBe('public');
  });

  it.each([
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2001:0:4136:e378::1', 'reserved'],
    ['64:ff9b:1::1', 'private'],
    ['100::1', 'reserved'],
  ])('refuses the IPv6 address %s (%s)', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  it.each(['2606:4700:4700::1111', '2a00:1450:4007:80e::200e'])('accepts the global unicast IPv6 address %s', (address) => {
    expect(classifyAddress(address)).toBe('public');
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['0:0:0:0:0:ffff:c0a8:0101', 'private'],
    ['[::ffff:127.0.0.1]', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:c0a8:101::1', 'private'],
    ['::127.0.0.1', 'loopback'],
  ])('judges the IPv4 address embedded in %s (%s)', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  it('judges embedded public IPv4 addresses as public', () => {
    expect(classifyAddress('::ffff:8.8.8.8')).toBe('public');
    expect(classifyAddress('64:ff9b::808:808')).toBe('public');
  });

  it('expands IPv6 text forms and extracts embedded IPv4', () => {
    expect(ipv6Groups('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(ipv6Groups('2001:db8::')).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]);
    expect(ipv6Groups('not-an-address')).toBeNull();
    expect(embeddedIpv4('::ffff:a9fe:a9fe')).toBe('169.254.169.254');
    expect(embeddedIpv4('2606:4700::1')).toBeNull();
  });

  it('treats anything that is not an IP literal as invalid', () => {
    expect(classifyAddress('localhost')).toBe('invalid');
    expect(classifyAddress('')).toBe('invalid');
    expect(isPublicAddress('example.com')).toBe(false);
  });
});
