import { describe, expect, it } from 'vitest';
import { htuMatches, normalizeHtu } from '../../src/dpop/htu.ts';

describe('RFC 9449 §4.3 (9) htu comparison, RFC 3986 §6.2.2 / §6.2.3 normalisation', () => {
  it('lowercases scheme and host and keeps the path as is', () => {
    expect(normalizeHtu('HTTPS://AS.Example.COM/token')).toBe('https://as.example.com/token');
    expect(htuMatches('HTTPS://AS.EXAMPLE.COM/token', 'https://as.example.com/token')).toBe(true);
    expect(htuMatches('https://as.example.com/TOKEN', 'https://as.example.com/token')).toBe(false);
  });

  it('removes the default port of the scheme and keeps any other', () => {
    expect(normalizeHtu('https://as.example.com:443/token')).toBe('https://as.example.com/token');
    expect(normalizeHtu('http://127.0.0.1:80/token')).toBe('http://127.0.0.1/token');
    expect(normalizeHtu('https://as.example.com:8443/token')).toBe('https://as.example.com:8443/token');
    expect(htuMatches('http://127.0.0.1:4400/token', 'http://127.0.0.1:4401/token')).toBe(false);
  });

  it('ignores query and fragment', () => {
    expect(normalizeHtu('https://as.example.com/token?x=1#frag')).toBe('https://as.example.com/token');
    expect(htuMatches('https://as.example.com/token?a=b', 'https://as.example.com/token')).toBe(true);
  });

  it('normalises percent-encoding and dot segments, and an empty path to "/"', () => {
    expect(normalizeHtu('https://as.example.com/%74oken')).toBe('https://as.example.com/token');
    expect(normalizeHtu('https://as.example.com/a%2fb')).toBe('https://as.example.com/a%2Fb');
    expect(normalizeHtu('https://as.example.com/x/../token')).toBe('https://as.example.com/token');
    expect(normalizeHtu('https://as.example.com')).toBe('https://as.example.com/');
  });

  it('refuses what is not an http(s) URI', () => {
    for (const value of ['', 'token', '/token', 'ftp://as.example.com/token', 'javascript:alert(1)', 'https://user:pw@as.example.com/token', `https://a.example/${'x'.repeat(3000)}`]) {
      expect(normalizeHtu(value)).toBeNull();
    }
    expect(htuMatches('not a url', 'not a url')).toBe(false);
  });
});
