import { describe, expect, it } from 'vitest';
import { Acr } from '@mandate/protocol';
import { acrForAmr, acrSatisfies } from '../../src/interaction/acr.ts';
import { contentSecurityPolicy, cspSource } from '../../src/interaction/respond.ts';
import { escapeHtml, html } from '../../src/interaction/pages/html.ts';
import { describeRedirect } from '../../src/interaction/consent-view.ts';

describe('OIDC Core §2 acr from RFC 8176 amr, ordered weakest first', () => {
  it('derives the class from the methods used', () => {
    expect(acrForAmr(['pwd'])).toBe(Acr.Password);
    expect(acrForAmr(['pwd', 'otp'])).toBe(Acr.PasswordTotp);
    expect(acrForAmr(['hwk', 'user'])).toBe(Acr.Passkey);
    expect(acrForAmr(['otp'])).toBe(Acr.Password);
  });

  it('a stronger class satisfies a request for a weaker one, never the reverse', () => {
    expect(acrSatisfies(Acr.PasswordTotp, [])).toBe(true);
    expect(acrSatisfies(Acr.PasswordTotp, [Acr.Password])).toBe(true);
    expect(acrSatisfies(Acr.PasswordTotp, [Acr.PasswordTotp])).toBe(true);
    expect(acrSatisfies(Acr.Password, [Acr.PasswordTotp])).toBe(false);
    expect(acrSatisfies(Acr.PasswordTotp, [Acr.Passkey])).toBe(false);
    expect(acrSatisfies(Acr.PasswordTotp, [Acr.Passkey, Acr.PasswordTotp])).toBe(true);
    expect(acrSatisfies('urn:other', [Acr.Password])).toBe(false);
  });
});

describe('CSP Level 3 form-action sources for redirect URIs', () => {
  it('gives an origin for http(s) and a scheme for private-use URIs', () => {
    expect(cspSource('https://app.example.com/cb?x=1')).toBe('https://app.example.com');
    expect(cspSource('http://127.0.0.1:5000/cb')).toBe('http://127.0.0.1:5000');
    expect(cspSource('http://[::1]:5000/cb')).toBe('http://[::1]:5000');
    expect(cspSource('com.example.app:/callback')).toBe('com.example.app:');
  });

  it('never lets a redirect URI inject a directive', () => {
    expect(cspSource("https://a;script-src 'unsafe-inline'/")).toBeNull();
    expect(cspSource('https://a,b/')).toBeNull();
    expect(cspSource("https://a'b/")).toBeNull();
    expect(cspSource('not a url')).toBeNull();
    const csp = contentSecurityPolicy(['https://a;b/', 'https://ok.example']);
    expect(csp).toContain("form-action 'self' https://ok.example;");
    expect(csp.split(';').filter((d) => d.trim().startsWith('script-src'))).toHaveLength(0);
  });
});

describe('HTML escaping of everything a request or registration supplies', () => {
  it('escapes the five special characters and nested values, but not SafeHtml', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${['<', '>']}${null}${undefined}${false}</p>`.value).toBe('<p><b>&lt;i&gt;</b>&lt;&gt;</p>');
  });

  it('names redirect targets plainly for the consent page', () => {
    expect(describeRedirect('https://app.example.com/cb')).toEqual({ host: 'app.example.com', note: null });
    expect(describeRedirect('http://localhost:3000/cb').note).toContain('localhost');
    expect(describeRedirect('com.example.app:/cb')).toEqual({ host: 'com.example.app', note: 'An app installed on this device' });
  });
});
