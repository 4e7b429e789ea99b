/**
 * Drives the authorization flow the way a browser does: /authorize, the login, TOTP (or TOTP
 * enrolment) and consent pages, following each 303 by hand so tests can assert on every hop.
 */
import { expect } from 'vitest';
import { generate } from 'otplib';
import { formAction, inputValue, type TestBrowser } from './browser.ts';
import { totpCode, type TestUser } from './fixtures.ts';

export function location(res: Response): string {
  const value = res.headers.get('location');
  if (value === null) throw new Error(`expected a redirect, got ${res.status}`);
  return value;
}

export function redirectParams(res: Response): URLSearchParams {
  return new URL(location(res)).searchParams;
}

/** GET /authorize; expects the 303 to an interaction page and returns its URL. */
export async function beginAuthorization(browser: TestBrowser, url: string): Promise<string> {
  const res = await browser.get(url);
  expect(res.status, await res.clone().text()).toBe(303);
  const next = location(res);
  expect(next).toContain('/interaction/');
  return next;
}

export interface Page {
  res: Response;
  html: string;
  csrf: string;
  action: string;
}

export async function openPage(browser: TestBrowser, url: string): Promise<Page> {
  const res = await browser.get(url);
  const html = await res.text();
  expect(res.status, html.slice(0, 500)).toBe(200);
  return { res, html, csrf: inputValue(html, 'csrf') ?? '', action: formAction(html) };
}

export async function submitPassword(browser: TestBrowser, interactionUrl: string, email: string, password: string): Promise<Response> {
  const page = await openPage(browser, interactionUrl);
  expect(page.html).toContain('id="password"');
  return browser.post(page.action, { csrf: page.csrf, email, password });
}

export async function submitTotp(browser: TestBrowser, interactionUrl: string, code: string): Promise<Response> {
  const page = await openPage(browser, interactionUrl);
  expect(page.html).toContain('id="totp"');
  return browser.post(page.action, { csrf: page.csrf, totp: code });
}

/** The setup key shown on the TOTP enrolment page (HU-1: an account without a second factor). */
export function enrollmentSecret(html: string): string {
  const m = /<code id="totp-secret"[^>]*>([A-Z2-7]+)<\/code>/.exec(html);
  if (!m?.[1]) throw new Error(`no TOTP setup key in page: ${html.slice(0, 300)}`);
  return m[1];
}

/** The hidden fields of the TOTP enrolment form: the CSRF token and the id of the secret it shows. */
export function enrollmentForm(page: Page): { csrf: string; enrollment: string } {
  return { csrf: page.csrf, enrollment: inputValue(page.html, 'enrollment') ?? '' };
}

/**
 * After the password of a user without TOTP: reads the setup key, proves it with its current code
 * and records it on the TestUser (the server now holds the same secret); returns the final 303.
 */
export async function enrollTotp(browser: TestBrowser, interactionUrl: string, user: TestUser): Promise<Response> {
  const page = await openPage(browser, interactionUrl);
  expect(page.html).toContain('id="totp-secret"');
  const secret = enrollmentSecret(page.html);
  const res = await browser.post(page.action, { ...enrollmentForm(page), totp: await generate({ secret, epoch: Math.floor(Date.now() / 1000) }) });
  expect(res.status).toBe(303);
  expect(location(res)).toBe(interactionUrl);
  user.totpSecret = secret;
  return res;
}

/** Password, then TOTP (set up first when the user has none); returns the final 303 (back to the interaction). */
export async function signIn(browser: TestBrowser, interactionUrl: string, user: TestUser): Promise<Response> {
  const afterPassword = await submitPassword(browser, interactionUrl, user.email, user.password);
  expect(afterPassword.status).toBe(303);
  expect(location(afterPassword)).toBe(interactionUrl);
  if (user.totpSecret === null) return enrollTotp(browser, interactionUrl, user);
  const afterTotp = await submitTotp(browser, interactionUrl, await totpCode(user));
  expect(afterTotp.status).toBe(303);
  expect(location(afterTotp)).toBe(interactionUrl);
  return afterTotp;
}

/** Opens the consent page and presses the button; returns the 303 to the client. */
export async function decideConsent(browser: TestBrowser, interactionUrl: string, decision: 'approve' | 'deny'): Promise<Response> {
  const page = await openPage(browser, interactionUrl);
  expect(page.html).toContain(`id="${decision}"`);
  const res = await browser.post(page.action, { csrf: page.csrf, decision });
  expect(res.status).toBe(303);
  return res;
}

/** The whole flow for a fresh browser: returns the final redirect to the client. */
export async function authorizeToRedirect(browser: TestBrowser, url: string, user: TestUser): Promise<Response> {
  const interactionUrl = await beginAuthorization(browser, url);
  await signIn(browser, interactionUrl, user);
  return decideConsent(browser, interactionUrl, 'approve');
}
