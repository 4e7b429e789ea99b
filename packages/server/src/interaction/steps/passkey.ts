/**
 * The passkey step of an interaction (HU-1, RS-4):
 *
 *   GET  /interaction/:id/passkey  the page with the WebAuthn button (a fresh challenge)
 *   POST /interaction/:id/passkey  the assertion; on success a new session, as any login
 *
 * Two uses share it. Sign-in: no user is known, the authenticator offers its discoverable
 * credentials and the user handle names the account. Step-up (step-up.ts): the session's user
 * is known and must prove a passkey of their own; the new session carries the passkey's amr,
 * the phishing-resistant acr and a new auth_time, which the code and tokens then report.
 */
import type { Context } from 'hono';
import type { ServerContext } from '../../context.ts';
import { clientIp } from '../../http/client-ip.ts';
import type { Params } from '../../http/params.ts';
import { rateLimitKey } from '../../http/rate-limit-key.ts';
import { authenticationOptions, verifyAuthentication } from '../../passkeys/authentication.ts';
import { issueChallenge, takeChallenge } from '../../passkeys/challenge.ts';
import { auditLoginFailure, type LoginFailureReason } from '../audit.ts';
import { clientDisplayName } from '../consent-view.ts';
import { csrfToken } from '../csrf.ts';
import type { LoadedInteraction } from '../load.ts';
import { passkeyPage } from '../pages/passkey.ts';
import { WEBAUTHN_SCRIPT_HASH_SOURCE } from '../pages/webauthn-script.ts';
import { seeOther, sendPage } from '../respond.ts';
import { currentSession } from '../session.ts';
import { authenticationStep } from '../step-up.ts';
import type { LoginThrottle } from '../throttle.ts';
import { interactionUrl } from '../urls.ts';
import { completeLogin } from './login.ts';
import { refuseThrottled } from './rate-limited.ts';

const MESSAGES: Record<string, string> = {
  passkey: 'The passkey could not be verified. Try again, or use another passkey.',
  passkey_expired: 'The passkey request expired or was already used. Try again.',
  passkey_user: 'That passkey belongs to another account. Use a passkey of the account you are signed in with.',
  passkey_required: 'This account signs in with a passkey. Use your passkey to continue.',
};

/** Renders the passkey page; `stepUpUser` set when the session's user must prove their own passkey. */
export async function renderPasskeyStep(c: Context, ctx: ServerContext, loaded: LoadedInteraction, stepUpUser: { id: string; email: string } | null): Promise<Response> {
  const { record, request, client } = loaded;
  const allow = stepUpUser === null ? [] : await ctx.storage.passkeys.listForUser(stepUpUser.id);
  const challenge = await issueChallenge(c, ctx, { ceremony: 'authentication', interactionId: record.id, userId: stepUpUser?.id ?? null });
  const options = await authenticationOptions(ctx, allow, challenge);
  const html = passkeyPage({
    title: stepUpUser === null ? 'Sign in with a passkey' : 'Confirm with your passkey',
    intro:
      stepUpUser === null
        ? `to continue to ${clientDisplayName(client)}`
        : `${clientDisplayName(client)} asks for a stronger sign-in. Use the passkey of ${stepUpUser.email} to continue.`,
    action: interactionUrl(ctx, record.id, 'passkey'),
    csrf: csrfToken(ctx, record.id),
    ceremony: 'get',
    options: JSON.stringify(options),
    buttonLabel: 'Use passkey',
    error: MESSAGES[c.req.query('error') ?? ''] ?? null,
    alternative: stepUpUser === null ? { href: `${interactionUrl(ctx, record.id)}?method=password`, label: 'Sign in with your password instead' } : null,
  });
  return sendPage(c, html, { formTargets: [request.redirectUri], scriptSources: [WEBAUTHN_SCRIPT_HASH_SOURCE] });
}

/** GET: a step-up when the interaction needs one for the session's user, else a passkey sign-in. */
export async function showPasskey(c: Context, ctx: ServerContext, loaded: LoadedInteraction): Promise<Response> {
  const step = await authenticationStep(ctx, await currentSession(c, ctx), loaded.request, loaded.record);
  return renderPasskeyStep(c, ctx, loaded, step.kind === 'passkey' ? step.user : null);
}

function failureReason(reason: string): LoginFailureReason {
  return `passkey_${reason}` as LoginFailureReason;
}

/**
 * What the login throttle counts passkey failures under. A signature cannot be guessed, so this
 * bounds load, not guessing: per user for a step-up, per address for a sign-in (no account is
 * known before the assertion is checked) — IPv6 per /64, as the throttle counts addresses
 * (http/rate-limit-key.ts), so one subscriber's 2^64 addresses are one counter, not 2^64.
 */
export function passkeyThrottleAccount(expectedUserId: string | null, ip: string | null): string {
  return expectedUserId !== null ? `passkey:${expectedUserId}` : `passkey-ip:${rateLimitKey(ip)}`;
}

export async function postPasskey(c: Context, ctx: ServerContext, throttle: LoginThrottle, loaded: LoadedInteraction, form: Params): Promise<Response> {
  const id = loaded.record.id;
  const ip = clientIp(c);
  const retry = (error: string) => seeOther(c, `${interactionUrl(ctx, id, 'passkey')}?error=${error}`);

  const taken = await takeChallenge(c, ctx, { ceremony: 'authentication', interactionId: id, userId: null });
  if (!taken.ok || taken.binding.ceremony !== 'authentication') {
    await auditLoginFailure(ctx, { userId: null, clientId: loaded.request.clientId, ip, reason: 'passkey_challenge' });
    return retry('passkey_expired');
  }
  const expectedUserId = taken.binding.userId;
  const account = passkeyThrottleAccount(expectedUserId, ip);
  const refused = await refuseThrottled(c, ctx, throttle, { account, ip, userId: expectedUserId, clientId: loaded.request.clientId });
  if (refused) return refused;

  const result = await verifyAuthentication(ctx, { challenge: taken.challenge, credentialJson: form.get('credential'), expectedUserId });
  const user = result.passkey ? await ctx.storage.users.get(result.passkey.userId) : null;
  if (!result.ok || !user || user.disabled) {
    const reason = result.ok ? 'account_disabled' : failureReason(result.reason);
    throttle.failed(account, ip);
    await auditLoginFailure(ctx, { userId: user?.id ?? expectedUserId, clientId: loaded.request.clientId, ip, reason });
    if (!result.ok && result.detail) ctx.logger.info({ reason: result.reason, detail: result.detail }, 'passkey assertion refused');
    return retry(!result.ok && result.reason === 'wrong_user' ? 'passkey_user' : 'passkey');
  }
  return completeLogin(c, ctx, throttle, loaded, user, result.amr);
}
