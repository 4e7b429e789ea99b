import { describe, expect, it } from 'vitest';
import { rateLimitKey } from '../../src/http/rate-limit-key.ts';

describe('rateLimitKey: the address a per-address rate limit counts under', () => {
  it('counts IPv4 peers by their full address', () => {
    expect(rateLimitKey('203.0.113.7')).toBe('203.0.113.7');
    expect(rateLimitKey('203.0.113.8')).not.toBe(rateLimitKey('203.0.113.7'));
  });

  it('counts two IPv6 addresses in one /64 under one key, whatever their spelling', () => {
    const key = rateLimitKey('2001:db8:1:2::1');
    expect(key).toBe('2001:db8:1:2::/64');
    expect(rateLimitKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(key);
    expect(rateLimitKey('2001:0DB8:0001:0002:abcd:0:0:9')).toBe(key);
    expect(rateLimitKey('2001:db8:1:2:0:0:1.2.3.4')).toBe(key);
    expect(rateLimitKey('2001:db8:1:2::1%eth0')).toBe(key);
  });

  it('counts different /64s under different keys', () => {
    expect(rateLimitKey('2001:db8:1:3::1')).not.toBe(rateLimitKey('2001:db8:1:2::1'));
    expect(rateLimitKey('2001:db8:2:2::1')).not.toBe(rateLimitKey('2001:db8:1:2::1'));
    expect(rateLimitKey('::1')).toBe('0:0:0:0::/64');
    expect(rateLimitKey('fe80::1')).not.toBe(rateLimitKey('::1'));
  });

  it('counts an IPv4-mapped IPv6 address as the IPv4 address it carries (RFC 4291 §2.5.5.2)', () => {
    expect(rateLimitKey('::ffff:203.0.113.7')).toBe(rateLimitKey('203.0.113.7'));
    expect(rateLimitKey('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(rateLimitKey('::ffff:203.0.113.8')).not.toBe(rateLimitKey('::ffff:203.0.113.7'));
  });

  it('puts peers without an address under one key', () => {
    expect(rateLimitKey(null)).toBe('unknown');
    expect(rateLimitKey(undefined)).toBe('unknown');
    expect(rateLimitKey('')).toBe('unknown');
  });
});
