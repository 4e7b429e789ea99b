/**
 * The signed-in user's passkeys (HU-1), at the authorization server's own origin — the RP ID
 * passkeys are scoped to (passkeys/relying-party.ts):
 *
 *   GET  /account/passkeys   the list, and the button that registers a new one
 *   POST /account/passkeys   the WebAuthn attestation (WebAuthn L3 §7.1)
 *
 * Adding a passkey adds the strongest way into the account, so it needs a session that is both
 * multi-factor (password + TOTP, or a passkey) and recent: a browser left signed in, or a phished
 * password alone, cannot enrol an attacker's authenticator. The challenge is bound to that
 * session and used once (passkeys/challenge.ts); the form carries a CSRF token of the session.
 */
import type { Context, Hono } from 'hono';
import { Acr } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import { constantTimeEqual } from '../crypto/hash.ts';
import { Paths } from '../endpoints/paths.ts';
import { clientIp } from '../http/client-ip.ts';
import { readForm } from '../http/params.ts';
import { issueChallenge, takeChallenge } from '../passkeys/challenge.ts';
import { registrationOptions, verifyRegistration } from '../passkeys/registration.ts';
import { acrSatisfies } from '../interaction/acr.ts';
import { InteractionPageError, renderPageError } from '../interaction/errors.ts';
import { mac } from '../interaction/keys.ts';
import { passkeyPage } from '../interaction/pages/passkey.ts';
import { WEBAUTHN_SCRIPT_HASH_SOURCE } from '../interaction/pages/webauthn-script.ts';
import { seeOther, sendPage } from '../interaction/respond.ts';
import { currentSession, type ActiveSession } from '../interaction/session.ts';
import { registerVaultAccountRoutes } from './vault-routes.ts';

/** How recent the sign-in must be to add a passkey (seconds). */
export const PASSKEY_ENROLMENT_MAX_AGE = 600;
const MAX_PASSKEYS = 20;

const MESSAGES: Record<string, string> = {
  passkey: 'The passkey could not be registered. Try again.',
  passkey_expired: 'The request expired or was already used. Try again.',
  passkey_limit: `An account can have at most ${MAX_PASSKEYS} passkeys.`,
};

function accountCsrf(ctx: ServerContext, session: ActiveSession): string {
  return mac(ctx.config, 'csrf', `account:${session.record.idHash}`);
}

function pageUrl(ctx: ServerContext): string {
  return `${ctx.config.issuer}${Paths.accountPasskeys}`;
}

/** The session allowed to manage passkeys, or the page explaining why not. */
async function enrolmentSession(c: Context, ctx: ServerContext): Promise<ActiveSession> {
  const session = await currentSession(c, ctx);
  if (!session) {
    throw new InteractionPageError(401, 'Sign in first', 'Sign in through an application that uses this server, then open this page again in the same browser.');
  }
  const strong = acrSatisfies(session.record.acr, [Acr.PasswordTotp]);
  if (!strong || ctx.now() - session.record.authTime > PASSKEY_ENROLMENT_MAX_AGE) {
    throw new InteractionPageError(
      403,
      'Sign in again to add a passkey',
      `For your security, adding a passkey needs a sign-in with your password and authentication code (or a passkey) in the last ${PASSKEY_ENROLMENT_MAX_AGE / 60} minutes.`,
    );
  }
  return session;
}

function date(epoch: number | null): string {
  return epoch === null ? 'never' : new Date(epoch * 1000).toISOString().slice(0, 16).replace('T', ' ');
}

async function showPasskeys(c: Context, ctx: ServerContext): Promise<Response> {
  const session = await enrolmentSession(c, ctx);
  const existing = await ctx.storage.passkeys.listForUser(session.user.id);
  const challenge = await issueChallenge(c, ctx, { ceremony: 'registration', sessionIdHash: session.record.idHash });
  const options = await registrationOptions(ctx, session.user, existing, challenge);
  const html = passkeyPage({
    title: 'Passkeys',
    intro: `Signed in as ${session.user.email}. A passkey signs you in with your device's screen lock, and cannot be phished.`,
    action: pageUrl(ctx),
    csrf: accountCsrf(ctx, session),
    ceremony: 'create',
    options: JSON.stringify(options),
    buttonLabel: 'Add a passkey',
    error: MESSAGES[c.req.query('error') ?? ''] ?? null,
    notice: c.req.query('added') === '1' ? 'Passkey added.' : null,
    // CO-1: signing out ends this session and revokes the grants made under it (logout.ts).
    alternative: { href: `${ctx.config.issuer}${Paths.accountLogout}`, label: 'Sign out' },
    nameField: true,
    registered: existing.map((p) => ({ name: p.name, createdAt: date(p.createdAt), lastUsed: date(p.lastUsedAt) })),
  });
  return sendPage(c, html, { scriptSources: [WEBAUTHN_SCRIPT_HASH_SOURCE] });
}

async function registerPasskey(c: Context, ctx: ServerContext): Promise<Response> {
  const session = await enrolmentSession(c, ctx);
  const form = await readForm(c);
  const csrf = form.get('csrf');
  if (csrf === undefined || !constantTimeEqual(csrf, accountCsrf(ctx, session))) {
    throw new InteractionPageError(403, 'This form has expired', 'The form could not be verified (missing or wrong security token). Reload the page and try again.');
  }
  const back = (error: string) => seeOther(c, `${pageUrl(ctx)}?error=${error}`);
  const taken = await takeChallenge(c, ctx, { ceremony: 'registration', sessionIdHash: session.record.idHash });
  const audit = (result: 'success' | 'failure', reason: string | null, data: Record<string, unknown> | null = null) =>
    ctx.audit.record({ event: 'passkey_registration', userId: session.user.id, ip: clientIp(c), result, reason, data });
  if (!taken.ok) {
    await audit('failure', `challenge_${taken.reason}`);
    return back('passkey_expired');
  }
  const existing = await ctx.storage.passkeys.listForUser(session.user.id);
  if (existing.length >= MAX_PASSKEYS) return back('passkey_limit');
  const name = (form.get('name') ?? '').trim().slice(0, 60) || 'Passkey';
  const result = await verifyRegistration(ctx, { user: session.user, challenge: taken.challenge, credentialJson: form.get('credential'), name });
  if (!result.ok) {
    ctx.logger.info({ detail: result.reason }, 'passkey registration refused');
    await audit('failure', 'invalid_attestation');
    return back('passkey');
  }
  if (await ctx.storage.passkeys.get(result.record.credentialId)) {
    await audit('failure', 'already_registered');
    return back('passkey');
  }
  await ctx.storage.passkeys.create(result.record);
  await audit('success', null, { credentialId: result.record.credentialId, deviceType: result.record.deviceType });
  return seeOther(c, `${pageUrl(ctx)}?added=1`);
}

export function registerAccountRoutes(app: Hono, ctx: ServerContext): void {
  const handle = (fn: (c: Context, ctx: ServerContext) => Promise<Response>) => async (c: Context) => {
    try {
      return await fn(c, ctx);
    } catch (err) {
      return renderPageError(c, err);
    }
  };
  app.get(Paths.accountPasskeys, handle(showPasskeys));
  app.post(Paths.accountPasskeys, handle(registerPasskey));
  registerVaultAccountRoutes(app, ctx); // linked accounts (issue 5): vault-routes.ts
}
