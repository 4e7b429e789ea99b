/**
 * The one place @simplewebauthn/server is loaded, and only when a passkey ceremony happens: the
 * library costs about 30 MB of resident memory, which a server whose users never touch passkeys
 * should not pay at idle (issue 2's memory goal).
 */
type WebAuthnLib = typeof import('@simplewebauthn/server');

let loading: Promise<WebAuthnLib> | undefined;

export function webauthn(): Promise<WebAuthnLib> {
  loading ??= import('@simplewebauthn/server');
  return loading;
}
