import { InvalidRequestError } from '@mandate/protocol';
import type { AuthorizationCheck } from './check.ts';

/** Generous, but bounded: these values are stored and echoed into pages and tokens. */
const MAX_LENGTH = 1024;

function bounded(name: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value.length > MAX_LENGTH) throw new InvalidRequestError(`The ${name} parameter is longer than ${MAX_LENGTH} characters.`);
  return value;
}

/**
 * OIDC Core §3.1.2.1: `nonce` is bound into the ID token (replay protection for the client);
 * `login_hint` pre-fills the login form; `ui_locales` is recorded (pages are English for now).
 */
export const checkOidcParameters: AuthorizationCheck = ({ params }, request) => {
  request.nonce = bounded('nonce', params.get('nonce'));
  request.loginHint = bounded('login_hint', params.get('login_hint'));
  const locales = bounded('ui_locales', params.get('ui_locales'));
  request.uiLocales = locales === null ? [] : locales.split(' ').filter((v) => v !== '');
};
