/**
 * Why an upstream (SSO) login was refused. The reason is a stable code for the audit log and the
 * server log; the user sees the page text below, which never repeats anything the provider or
 * the browser sent except a validated OAuth error code.
 */
import { InteractionPageError } from '../../interaction/errors.ts';

export type UpstreamLoginFailure =
  | 'provider_unavailable'
  | 'unknown_provider'
  | 'invalid_state'
  | 'provider_error'
  | 'invalid_response'
  | 'no_verified_email'
  | 'email_not_verified'
  | 'email_domain_not_allowed'
  | 'email_collision'
  | 'link_not_allowed'
  | 'link_admin_refused'
  | 'not_provisioned'
  | 'identity_user_missing'
  | 'account_disabled'
  | 'concurrent_login';

const PAGES: Record<UpstreamLoginFailure, { status: 400 | 403 | 409 | 502; title: string; message: string }> = {
  provider_unavailable: { status: 502, title: 'Single sign-on is unavailable', message: 'Your organisation’s sign-in service cannot be reached right now. Try again later, or sign in another way.' },
  unknown_provider: { status: 400, title: 'Single sign-on is not available', message: 'This sign-in service is not configured here.' },
  invalid_state: { status: 400, title: 'This sign-in response cannot be used', message: 'The answer from your organisation’s sign-in service has expired, was already used, or does not belong to this sign-in. Start again from the application.' },
  provider_error: { status: 403, title: 'Your organisation’s sign-in service refused the sign-in', message: 'Your organisation’s sign-in service did not sign you in. Start again from the application.' },
  invalid_response: { status: 400, title: 'This sign-in response cannot be used', message: 'The answer from your organisation’s sign-in service could not be verified, so you were not signed in.' },
  no_verified_email: { status: 403, title: 'No verified email address', message: 'Your organisation’s sign-in service did not confirm an email address for you, so no account can be found or created.' },
  email_not_verified: { status: 403, title: 'Email address not verified', message: 'Your organisation’s sign-in service did not confirm your email address. An existing account is only connected to a confirmed address.' },
  email_domain_not_allowed: { status: 403, title: 'Email address not accepted', message: 'Your organisation’s sign-in service may not sign in accounts with this email address.' },
  email_collision: { status: 403, title: 'Email address not accepted', message: 'This email address differs from the one on the existing account. Ask your administrator.' },
  link_not_allowed: { status: 403, title: 'An account with this email already exists', message: 'Sign in with your password instead; this sign-in service may not take over existing accounts.' },
  link_admin_refused: { status: 403, title: 'This account cannot be connected automatically', message: 'The existing account with this email is an administrator account. Ask another administrator to connect it to this sign-in service.' },
  not_provisioned: { status: 403, title: 'No account', message: 'There is no account for you here yet. Ask your administrator to create one.' },
  identity_user_missing: { status: 403, title: 'No account', message: 'The account connected to this sign-in no longer exists. Ask your administrator.' },
  account_disabled: { status: 403, title: 'Account disabled', message: 'This account is disabled. Ask your administrator.' },
  concurrent_login: { status: 409, title: 'Sign-in interrupted', message: 'Another sign-in of the same account was completing at the same moment. Start again from the application.' },
};

export class UpstreamLoginError extends Error {
  override name = 'UpstreamLoginError';
  constructor(
    readonly reason: UpstreamLoginFailure,
    /** For the server log; never shown to the user. */
    readonly detail: string,
    /** The provider's RFC 6749 §4.1.2.1 error code, validated (provider_error only). */
    readonly providerError: string | null = null,
    /** The local user refused, when one was found (account_disabled): the audit names them. */
    readonly userId: string | null = null,
  ) {
    super(`${reason}: ${detail}`);
  }

  toPageError(): InteractionPageError {
    const page = PAGES[this.reason];
    const message = this.providerError ? `${page.message} (The service answered: ${this.providerError}.)` : page.message;
    return new InteractionPageError(page.status, page.title, message);
  }
}
