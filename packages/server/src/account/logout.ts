/**
 * Sign-out at the authorization server (CO-1, issue 3: "revoking a user's session revokes
 * everything derived from it"):
 *
 *   GET  /account/logout   a page with the sign-out button (or "signed out" when no session)
 *   POST /account/logout   ends this browser's session and revokes every grant authorized under
 *                          it, with their exchanged grants and tokens; 303 back to the page (or,
 *                          from the consent page, to the authorization it interrupted)
 *
 * The form carries a CSRF token bound to the session (a MAC over its stored key), so another site
 * cannot sign a user out, nor revoke their grants, by posting to this URL. Unlike a new login
 * replacing the session (interaction/session.ts), which leaves the grants live.
 */
import type { Context, Hono } from 'hono';
import type { ServerContext } from '../context.ts';
import { constantTimeEqual, sha256 } from '../crypto/hash.ts';
import { Paths } from '../endpoints/paths.ts';
import { clientIp } from '../http/client-ip.ts';
import { inTransaction } from '../clients/lifecycle.ts';
import { isSessionRecordLive } from '../grants/shared/live-tree.ts';
import { readForm, type Params } from '../http/params.ts';
import { CookieName, clearCookie, readCookie } from '../interaction/cookies.ts';
import { InteractionPageError, renderPageError } from '../interaction/errors.ts';
import { mac } from '../interaction/keys.ts';
import { html } from '../interaction/pages/html.ts';
import { layout } from '../interaction/pages/layout.ts';
import { seeOther, sendPage } from '../interaction/respond.ts';
import { interactionUrl } from '../interaction/urls.ts';
import type { SessionRecord } from '../storage/records.ts';

function logoutCsrf(ctx: ServerContext, idHash: string): string {
  return mac(ctx.config, 'csrf', `logout:${idHash}`);
}

/**
 * Where another page's sign-out button posts, and its CSRF token for the session `idHash`. From
 * the consent page ("Not you?"), `interactionId` sends the browser back to that authorization,
 * now at its login step, instead of the "signed out" page.
 */
export function signOutForm(ctx: ServerContext, idHash: string, interactionId?: string): { action: string; csrf: string; interaction?: string } {
  return { action: `${ctx.config.issuer}${Paths.accountLogout}`, csrf: logoutCsrf(ctx, idHash), ...(interactionId !== undefined ? { interaction: interactionId } : {}) };
}

/** Interaction ids as this server makes them; anything else sends the browser to the sign-out page. */
const INTERACTION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * After signing out: back to the interrupted authorization when the form names one, else the
 * sign-out page. Only an id is taken from the form and the URL is this server's own, so there is
 * no open redirect; the interaction page checks its browser binding as always (binding.ts).
 */
function afterLogout(ctx: ServerContext, form: Params): string {
  const interaction = form.get('interaction');
  return interaction !== undefined && INTERACTION_ID.test(interaction) ? interactionUrl(ctx, interaction) : `${ctx.config.issuer}${Paths.accountLogout}`;
}

/** The browser's session while it is still live (expired or revoked: nothing left to end). */
async function browserSession(c: Context, ctx: ServerContext): Promise<SessionRecord | null> {
  const token = readCookie(c, ctx, CookieName.session);
  if (token === undefined) return null;
  const record = await ctx.storage.sessions.get(sha256(token));
  return isSessionRecordLive(record, ctx.now()) ? record : null;
}

async function showLogout(c: Context, ctx: ServerContext): Promise<Response> {
  const session = await browserSession(c, ctx);
  const body = session
    ? html`<h1>Sign out</h1>
<p>Signing out ends your session in this browser and revokes the access you granted to applications and agents while signed in here.</p>
<form method="post" action="${ctx.config.issuer}${Paths.accountLogout}">
<input type="hidden" name="csrf" value="${logoutCsrf(ctx, session.idHash)}">
<button type="submit" id="logout">Sign out</button>
</form>`
    : html`<h1>Signed out</h1>
<p>You are not signed in in this browser.</p>`;
  return sendPage(c, layout({ title: session ? 'Sign out' : 'Signed out', body }));
}

async function postLogout(c: Context, ctx: ServerContext): Promise<Response> {
  const form = await readForm(c);
  const session = await browserSession(c, ctx);
  const back = afterLogout(ctx, form);
  if (!session) {
    clearCookie(c, ctx, CookieName.session);
    return seeOther(c, back);
  }
  const csrf = form.get('csrf');
  if (csrf === undefined || !constantTimeEqual(csrf, logoutCsrf(ctx, session.idHash))) {
    throw new InteractionPageError(403, 'This form has expired', 'The form could not be verified (missing or wrong security token). Reload the page and try again.');
  }
  await inTransaction(ctx, async (tx) => {
    const { revokedGrants } = await tx.storage.sessions.revokeWithGrants(session.idHash, tx.now(), 'signed out');
    // AU-1: in the transaction that revokes, so no revocation goes unrecorded.
    await tx.audit.record({ event: 'logout', userId: session.userId, ip: clientIp(c), result: 'success', data: { revoked_grants: revokedGrants } });
  });
  clearCookie(c, ctx, CookieName.session);
  return seeOther(c, back);
}

export function registerLogoutRoutes(app: Hono, ctx: ServerContext): void {
  const handle = (fn: (c: Context, ctx: ServerContext) => Promise<Response>) => async (c: Context) => {
    try {
      return await fn(c, ctx);
    } catch (err) {
      return renderPageError(c, err);
    }
  };
  app.get(Paths.accountLogout, handle(showLogout));
  app.post(Paths.accountLogout, handle(postLogout));
}
