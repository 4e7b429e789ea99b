/**
 * Signing in with a passkey (WebAuthn L3 §7.2 authentication ceremony) through
 * @simplewebauthn/server. User verification is required. The checks that are ours rather than
 * the library's, in order:
 *
 *   unknown credential        → refused (never registered, or removed)
 *   another user's credential → refused for a step-up (the session's user must prove it)
 *   signature, origin, RP ID, challenge, UV flag → the library (§7.2 steps 11–21)
 *   signature counter         → must grow when either side counts (§6.1.1: a clone otherwise)
 *   backup eligibility (BE)   → fixed at creation (§6.1.3): a change means another authenticator
 *   counter update            → compare-and-set, so one assertion cannot be used twice at once
 *
 * The authentication methods (RFC 8176 §2) it proves: `hwk` for a device-bound credential,
 * `swk` for a synced (backup-eligible) one, plus `user` for the verified user. They map to the
 * phishing-resistant class (interaction/acr.ts).
 */
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { webauthn } from './webauthn-lib.ts';
import type { ServerContext } from '../context.ts';
import type { PasskeyRecord } from '../storage/records.ts';
import { CEREMONY_TIMEOUT_SECONDS, relyingParty } from './relying-party.ts';
import { encodedChallenge } from './registration.ts';
import { parseCredentialJson } from './response-json.ts';

export type AuthenticationOptions = Awaited<ReturnType<typeof import('@simplewebauthn/server').generateAuthenticationOptions>>;

/** `allow` empty: a discoverable-credential sign-in, the authenticator offers the user's passkeys. */
export async function authenticationOptions(ctx: ServerContext, allow: PasskeyRecord[], challenge: string): Promise<AuthenticationOptions> {
  return (await webauthn()).generateAuthenticationOptions({
    rpID: relyingParty(ctx).rpID,
    allowCredentials: allow.map((p) => ({ id: p.credentialId, transports: p.transports })),
    challenge: new Uint8Array(Buffer.from(challenge, 'utf8')),
    timeout: CEREMONY_TIMEOUT_SECONDS * 1000,
    userVerification: 'required',
  });
}

export type PasskeyFailure = 'malformed' | 'unknown_credential' | 'wrong_user' | 'invalid_assertion' | 'counter_regression' | 'backup_eligibility_changed';

export type AuthenticationResult = { ok: true; passkey: PasskeyRecord; amr: string[] } | { ok: false; reason: PasskeyFailure; passkey: PasskeyRecord | null; detail?: string };

export function amrForPasskey(passkey: Pick<PasskeyRecord, 'deviceType'>): string[] {
  return [passkey.deviceType === 'multiDevice' ? 'swk' : 'hwk', 'user'];
}

export async function verifyAuthentication(
  ctx: ServerContext,
  input: { challenge: string; credentialJson: string | undefined; expectedUserId: string | null },
): Promise<AuthenticationResult> {
  const response = parseCredentialJson<AuthenticationResponseJSON>(input.credentialJson);
  if (!response) return { ok: false, reason: 'malformed', passkey: null };
  const passkey = await ctx.storage.passkeys.get(response.id);
  if (!passkey) return { ok: false, reason: 'unknown_credential', passkey: null };
  if (input.expectedUserId !== null && passkey.userId !== input.expectedUserId) return { ok: false, reason: 'wrong_user', passkey };

  const rp = relyingParty(ctx);
  let info;
  try {
    const verified = await (await webauthn()).verifyAuthenticationResponse({
      response,
      expectedChallenge: encodedChallenge(input.challenge),
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      credential: { id: passkey.credentialId, publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')), counter: passkey.counter, transports: passkey.transports },
      requireUserVerification: true,
    });
    if (!verified.verified) return { ok: false, reason: 'invalid_assertion', passkey };
    info = verified.authenticationInfo;
  } catch (err) {
    const message = (err as Error).message;
    const reason = /counter value/i.test(message) ? 'counter_regression' : 'invalid_assertion';
    return { ok: false, reason, passkey, detail: message.slice(0, 200) };
  }
  // A discoverable sign-in names the user through the user handle (§7.2 step 6): it must agree.
  const handle = response.response.userHandle;
  if (handle !== undefined && handle !== '' && Buffer.from(handle, 'base64url').toString('utf8') !== passkey.userId) {
    return { ok: false, reason: 'wrong_user', passkey };
  }
  if (info.credentialDeviceType !== passkey.deviceType) return { ok: false, reason: 'backup_eligibility_changed', passkey };
  const stored = await ctx.storage.passkeys.recordUse(passkey.credentialId, {
    expectedCounter: passkey.counter,
    counter: info.newCounter,
    backedUp: info.credentialBackedUp,
    at: ctx.now(),
  });
  if (!stored) return { ok: false, reason: 'counter_regression', passkey };
  return { ok: true, passkey, amr: amrForPasskey(passkey) };
}
