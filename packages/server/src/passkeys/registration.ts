/**
 * Adding a passkey (WebAuthn L3 §7.1 registration ceremony) through @simplewebauthn/server.
 * Policy: a discoverable credential (so it can sign in without typing an email), user
 * verification required (the authenticator checked a PIN or biometric: possession plus a
 * second factor in one gesture), no attestation asked (we do not restrict authenticator models),
 * and the user's existing credentials excluded so one authenticator is not registered twice.
 */
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { webauthn } from './webauthn-lib.ts';
import type { ServerContext } from '../context.ts';
import type { PasskeyRecord, UserRecord } from '../storage/records.ts';
import { CEREMONY_TIMEOUT_SECONDS, relyingParty } from './relying-party.ts';
import { parseCredentialJson } from './response-json.ts';

/** ES256 and EdDSA first (what platform authenticators use), RS256 for Windows Hello. */
const SUPPORTED_ALGORITHMS = [-7, -8, -257];

export type RegistrationOptions = Awaited<ReturnType<typeof import('@simplewebauthn/server').generateRegistrationOptions>>;

/** The user handle (§5.4.3) is the user's opaque random id, never the email. */
export function userHandle(user: Pick<UserRecord, 'id'>): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(user.id, 'utf8'));
}

export async function registrationOptions(ctx: ServerContext, user: UserRecord, existing: PasskeyRecord[], challenge: string): Promise<RegistrationOptions> {
  const rp = relyingParty(ctx);
  return (await webauthn()).generateRegistrationOptions({
    rpName: rp.rpName,
    rpID: rp.rpID,
    userName: user.email,
    userDisplayName: user.name,
    userID: userHandle(user),
    challenge: new Uint8Array(Buffer.from(challenge, 'utf8')),
    timeout: CEREMONY_TIMEOUT_SECONDS * 1000,
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
  });
}

/** The base64url form of the challenge as it appears in clientDataJSON. */
export function encodedChallenge(challenge: string): string {
  return Buffer.from(challenge, 'utf8').toString('base64url');
}

export type RegistrationResult = { ok: true; record: PasskeyRecord } | { ok: false; reason: string };

export async function verifyRegistration(
  ctx: ServerContext,
  input: { user: UserRecord; challenge: string; credentialJson: string | undefined; name: string },
): Promise<RegistrationResult> {
  const response = parseCredentialJson<RegistrationResponseJSON>(input.credentialJson);
  if (!response) return { ok: false, reason: 'malformed' };
  const rp = relyingParty(ctx);
  let verified;
  try {
    verified = await (await webauthn()).verifyRegistrationResponse({
      response,
      expectedChallenge: encodedChallenge(input.challenge),
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      requireUserPresence: true,
      requireUserVerification: true,
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    });
  } catch (err) {
    return { ok: false, reason: (err as Error).message.slice(0, 200) };
  }
  if (!verified.verified) return { ok: false, reason: 'not verified' };
  const info = verified.registrationInfo;
  const now = ctx.now();
  return {
    ok: true,
    record: {
      credentialId: info.credential.id,
      userId: input.user.id,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: (info.credential.transports ?? []).filter((t) => typeof t === 'string').slice(0, 8),
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      aaguid: info.aaguid,
      name: input.name,
      createdAt: now,
      lastUsedAt: null,
    },
  };
}
