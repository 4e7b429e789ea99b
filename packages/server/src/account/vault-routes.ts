/**
 * The signed-in user's linked accounts (issue 5, VA-1), at the authorization server's origin:
 *
 *   GET  /account/vault           connections, the user's entries and their status (never a token)
 *   POST /account/vault/link      starts a link: PKCE + state (vault/link.ts), 303 to the provider
 *   GET  /account/vault/callback/{connection}
 *                                 the provider's redirect: state checked, code spent, tokens sealed
 *   POST /account/vault/unlink    unlinks, revoking at the provider (RFC 7009); removes a static key
 *   POST /account/vault/key       stores or replaces the user's own key at a static-key connection (VA-2)
 *
 * The pending link (it holds the PKCE verifier) travels in a short-lived cookie encrypted and
 * authenticated with the secret key and bound to the login session that started it — the pattern
 * of the pending login and the WebAuthn challenge — so a callback is accepted only in the same
 * browser session, for the same user (RFC 6749 §10.12, RFC 9700 §4.7). Each connection has its own
 * redirect URI, and a callback is accepted only at the one of the connection the link was started
 * for: the mix-up defence of RFC 9700 §4.4.2 for a client of several providers. Otherwise a
 * provider (a malicious or compromised connection) could send the user on to another provider's
 * authorization endpoint and receive, at its own token endpoint, the code that provider issued
 * (with the PKCE verifier). The other provider only redirects to the URI registered for its own
 * connection, which does not match the pending link: the code is never spent. The posts carry the
 * session's CSRF token. Link and unlink, succeeded or refused, are audited (no token, no code).
 * A static key arrives only in a POST body, is never rendered, put in a URL, logged or audited
 * (the audit says stored or replaced), and is sealed like OAuth tokens.
 */
import type { Context, Hono } from 'hono';
import type { ServerContext } from '../context.ts';
import { constantTimeEqual } from '../crypto/hash.ts';
import { clientIp } from '../http/client-ip.ts';
import { readForm } from '../http/params.ts';
import { InteractionPageError, renderPageError } from '../interaction/errors.ts';
import { mac } from '../interaction/keys.ts';
import { CookieName, clearCookie, readCookie, writeCookie } from '../interaction/cookies.ts';
import { seeOther, sendPage } from '../interaction/respond.ts';
import { currentSession, type ActiveSession } from '../interaction/session.ts';
import { LINK_TTL_SECONDS, LinkIssuerError, VAULT_CALLBACK_PATH, vaultCallbackUrl, type PendingLink } from '../vault/link.ts';
import { VaultConflictError, VaultError, VaultNotFoundError, VaultProviderError } from '../vault/errors.ts';
import type { Params } from '../http/params.ts';
import { linkedAccountsPage } from './vault-page.ts';

export const VaultPaths = {
  page: '/account/vault',
  link: '/account/vault/link',
  /** Followed by `/{connection id}`: vaultCallbackUrl (vault/link.ts). */
  callback: VAULT_CALLBACK_PATH,
  unlink: '/account/vault/unlink',
  key: '/account/vault/key',
} as const;

export const VaultAuditEvent = { Linked: 'vault_linked', Unlinked: 'vault_unlinked', KeyStored: 'vault_key_stored', KeyRemoved: 'vault_key_removed' } as const;

const PURPOSE = 'vault-link';

interface StoredLink {
  pending: PendingLink;
  /** SHA-256 of the session cookie that started the link. */
  sessionIdHash: string;
}

function csrfToken(ctx: ServerContext, session: ActiveSession): string {
  return mac(ctx.config, 'csrf', `account-vault:${session.record.idHash}`);
}

async function signedIn(c: Context, ctx: ServerContext): Promise<ActiveSession> {
  const session = await currentSession(c, ctx);
  if (!session) throw new InteractionPageError(401, 'Sign in first', 'Sign in through an application that uses this server, then open this page again in the same browser.');
  return session;
}

/** A post of the signed-in user's own page: the CSRF token must match the session. */
async function postedForm(c: Context, ctx: ServerContext): Promise<{ session: ActiveSession; connection: string; form: Params }> {
  const session = await signedIn(c, ctx);
  const form = await readForm(c);
  const csrf = form.get('csrf');
  if (csrf === undefined || !constantTimeEqual(csrf, csrfToken(ctx, session))) {
    throw new InteractionPageError(403, 'This form has expired', 'The form could not be verified (missing or wrong security token). Reload the page and try again.');
  }
  return { session, connection: (form.get('connection') ?? '').slice(0, 200), form };
}

function pageUrl(ctx: ServerContext, query = ''): string {
  return `${ctx.config.issuer}${VaultPaths.page}${query}`;
}

async function audit(c: Context, ctx: ServerContext, event: string, userId: string, connection: string, result: 'success' | 'failure', reason: string | null, data: Record<string, unknown> = {}): Promise<void> {
  await ctx.audit.record({ event, userId, ip: clientIp(c), result, reason, resource: `urn:mandate:vault:${connection}`, data: { connection, ...data } });
}

async function showPage(c: Context, ctx: ServerContext): Promise<Response> {
  const session = await signedIn(c, ctx);
  const connections = await ctx.vault.listConnections({ limit: 200 });
  const entries = await ctx.vault.listForUser(session.user.id);
  const page = linkedAccountsPage({ email: session.user.email, csrf: csrfToken(ctx, session), connections, entries, paths: VaultPaths, query: { linked: c.req.query('linked'), unlinked: c.req.query('unlinked'), stored: c.req.query('stored'), removed: c.req.query('removed'), error: c.req.query('error') } });
  // The link form's 303 goes to the provider: CSP form-action must allow its origin.
  const targets = connections.flatMap((x) => (x.provider ? [x.provider.authorizationEndpoint] : []));
  return sendPage(c, page, { formTargets: targets });
}

async function startLink(c: Context, ctx: ServerContext): Promise<Response> {
  const { session, connection } = await postedForm(c, ctx);
  let started;
  try {
    started = await ctx.vault.beginLink(session.user.id, connection, vaultCallbackUrl(ctx.config.issuer, connection));
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    return seeOther(c, pageUrl(ctx, err instanceof VaultConflictError ? '?error=unlink_pending' : '?error=unknown_connection'));
  }
  const stored: StoredLink = { pending: started.pending, sessionIdHash: session.record.idHash };
  writeCookie(c, ctx, CookieName.vaultLink, await ctx.envelope.encrypt(JSON.stringify(stored), PURPOSE), LINK_TTL_SECONDS);
  return seeOther(c, started.authorizationUrl);
}

async function takeLink(c: Context, ctx: ServerContext, session: ActiveSession): Promise<PendingLink | null> {
  const value = readCookie(c, ctx, CookieName.vaultLink);
  clearCookie(c, ctx, CookieName.vaultLink); // one callback per link, whatever its outcome
  if (value === undefined) return null;
  try {
    const stored = JSON.parse(await ctx.envelope.decrypt(value, PURPOSE)) as StoredLink;
    if (stored.sessionIdHash !== session.record.idHash || stored.pending?.userId !== session.user.id) return null;
    return stored.pending;
  } catch {
    return null; // tampered, truncated or from another secret key
  }
}

async function callback(c: Context, ctx: ServerContext): Promise<Response> {
  const session = await signedIn(c, ctx);
  const pending = await takeLink(c, ctx, session);
  if (!pending) {
    await audit(c, ctx, VaultAuditEvent.Linked, session.user.id, '', 'failure', 'no_pending_link');
    return seeOther(c, pageUrl(ctx, '?error=link'));
  }
  if (c.req.param('connection') !== pending.connectionId) {
    // A redirect from another provider than the one the link was started at (mix-up): its code is not spent.
    await audit(c, ctx, VaultAuditEvent.Linked, session.user.id, pending.connectionId, 'failure', 'callback_connection_mismatch');
    return seeOther(c, pageUrl(ctx, '?error=link'));
  }
  // Every outcome is audited, an unexpected failure (a storage error: the 500 page) included.
  let outcome: { result: 'success' | 'failure'; reason: string | null; data?: Record<string, unknown> } = { result: 'failure', reason: 'internal_error' };
  try {
    // Every `iss` value: a repeated one is refused (RFC 9207), not resolved to its first.
    const params = { state: c.req.query('state') ?? null, code: c.req.query('code') ?? null, error: c.req.query('error') ?? null, iss: c.req.queries('iss') ?? null };
    const entry = await ctx.vault.completeLink(session.user.id, pending, params);
    outcome = { result: 'success', reason: null, data: { entry_id: entry.id } };
    return seeOther(c, pageUrl(ctx, `?linked=${encodeURIComponent(pending.connectionId)}`));
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    // An issuer mismatch (RFC 9207) is a mix-up refusal like callback_connection_mismatch, audited by its own reason. Otherwise
    // the provider's error code or the vault's error code; the description may name the cause, never a secret.
    const reason = err instanceof LinkIssuerError ? err.reason : err instanceof VaultProviderError ? `${err.error}: ${err.message}` : err.code;
    outcome = { result: 'failure', reason: reason.slice(0, 300) };
    return seeOther(c, pageUrl(ctx, '?error=link'));
  } finally {
    await audit(c, ctx, VaultAuditEvent.Linked, session.user.id, pending.connectionId, outcome.result, outcome.reason, outcome.data);
  }
}

async function unlink(c: Context, ctx: ServerContext): Promise<Response> {
  const { session, connection } = await postedForm(c, ctx);
  // Removing a static key is an unlink too (no provider to revoke at), audited as what the user did.
  const isKey = (await ctx.vault.getConnection(connection))?.kind === 'static';
  const event = isKey ? VaultAuditEvent.KeyRemoved : VaultAuditEvent.Unlinked;
  try {
    const { providerRevocation } = await ctx.vault.unlink(session.user.id, connection);
    await audit(c, ctx, event, session.user.id, connection, 'success', null, isKey ? {} : { provider_revocation: providerRevocation });
    return seeOther(c, pageUrl(ctx, `?${isKey ? 'removed' : 'unlinked'}=${encodeURIComponent(connection)}`));
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    await audit(c, ctx, event, session.user.id, connection, 'failure', err.code);
    return seeOther(c, pageUrl(ctx, '?error=unlink'));
  }
}

/** VA-2: the user's own API key for a static-key connection; a second post replaces it. */
async function storeKey(c: Context, ctx: ServerContext): Promise<Response> {
  const { session, connection, form } = await postedForm(c, ctx);
  // A pasted key often brings a trailing newline; anything else is checked by the vault (payload.ts).
  const apiKey = (form.get('api_key') ?? '').trim();
  try {
    const stored = await ctx.vault.storeStaticKey(session.user.id, connection, apiKey);
    await audit(c, ctx, VaultAuditEvent.KeyStored, session.user.id, connection, 'success', null, { entry_id: stored.id, replaced: stored.replaced });
    return seeOther(c, pageUrl(ctx, `?stored=${encodeURIComponent(connection)}`));
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    await audit(c, ctx, VaultAuditEvent.KeyStored, session.user.id, connection, 'failure', err.code);
    const error = err instanceof VaultNotFoundError ? 'unknown_connection' : err instanceof VaultConflictError ? 'unlink_pending' : 'key';
    return seeOther(c, pageUrl(ctx, `?error=${error}`));
  }
}

export function registerVaultAccountRoutes(app: Hono, ctx: ServerContext): void {
  const handle = (fn: (c: Context, ctx: ServerContext) => Promise<Response>) => async (c: Context) => {
    try {
      return await fn(c, ctx);
    } catch (err) {
      return renderPageError(c, err);
    }
  };
  app.get(VaultPaths.page, handle(showPage));
  app.post(VaultPaths.link, handle(startLink));
  app.get(`${VaultPaths.callback}/:connection`, handle(callback));
  app.post(VaultPaths.unlink, handle(unlink));
  app.post(VaultPaths.key, handle(storeKey));
}
