/**
 * TOTP enrolment during login (HU-1: a password only ever counts together with a second factor).
 * A user whose password was just proven but who has neither TOTP nor — having come through the
 * password form — used a passkey gets a fresh secret (RFC 6238, 160 bits as RFC 4226 §4 R6
 * recommends) to add to an authenticator app. Until its first code is proven the secret waits in
 * storage, never in the browser: encrypted with the secret key under a purpose naming the
 * interaction, the user and the password login, so a row cannot be moved to another login, and it
 * expires with that login (pending-login.ts). Showing the page again shows the same secret, also
 * when two tabs show it at once (storage keeps the first). The form carries the enrolment's id, so
 * a page whose secret was replaced since (a newer password login, expiry) is told so instead of
 * having its code refused as wrong.
 */
import { generateSecret, generateURI } from 'otplib';
import type { ServerContext } from '../context.ts';
import { sha256 } from '../crypto/hash.ts';
import type { InteractionRecord } from '../storage/records.ts';
import type { TotpEnrollmentRecord } from '../storage/totp-enrollment-storage.ts';
import { PENDING_LOGIN_TTL, type PendingLogin } from './pending-login.ts';

export interface TotpEnrollment {
  /** Base32 (RFC 4648 §6), as authenticator apps take it by hand. */
  secret: string;
  /** Key URI for apps that import a link or a QR code of it. */
  uri: string;
  /** Names this pending secret in the form (not a secret: a hash of its ciphertext, unique per row). */
  id: string;
  /** The stored ciphertext: finishing consumes exactly this row, not one stored since. */
  sealed: string;
}

function purpose(interactionId: string, pending: PendingLogin): string {
  return `totp-enrollment:${interactionId}:${pending.userId}:${pending.at}`;
}

function enrollment(ctx: ServerContext, email: string, secret: string, row: TotpEnrollmentRecord): TotpEnrollment {
  // A colon ends the issuer part of the label, so a port never goes into it.
  const issuer = `Mandate ${new URL(ctx.config.issuer).hostname}`;
  return { secret, uri: generateURI({ issuer, label: email, secret }), id: sha256(row.secretEncrypted), sealed: row.secretEncrypted };
}

/** The row's secret if it belongs to this interaction's pending login, else null. */
async function opened(ctx: ServerContext, row: TotpEnrollmentRecord | null, interactionId: string, pending: PendingLogin, email: string): Promise<TotpEnrollment | null> {
  if (!row || row.interactionId !== interactionId || row.userId !== pending.userId || row.loginAt !== pending.at) return null;
  try {
    return enrollment(ctx, email, await ctx.envelope.decrypt(row.secretEncrypted, purpose(interactionId, pending)), row);
  } catch {
    return null; // not sealed for this login: treat as absent
  }
}

/** The pending secret of this login, or null when there is none (expired, replaced, another login). */
export async function readEnrollment(ctx: ServerContext, interactionId: string, pending: PendingLogin, email: string): Promise<TotpEnrollment | null> {
  return opened(ctx, await ctx.storage.totpEnrollments.get(interactionId, ctx.now()), interactionId, pending, email);
}

/**
 * The secret to show for this login: the one already pending, or a new one. When another tab of
 * the same login stored its secret first, that one is shown here too, so both pages stay valid
 * (simpler than keeping several secrets per login, and no secret goes beyond the login it was made
 * for). Null only when a newer login of this interaction replaced the row meanwhile.
 */
export async function beginEnrollment(ctx: ServerContext, interaction: InteractionRecord, pending: PendingLogin, email: string): Promise<TotpEnrollment | null> {
  const existing = await readEnrollment(ctx, interaction.id, pending, email);
  if (existing) return existing;
  const stored = await ctx.storage.totpEnrollments.put({
    interactionId: interaction.id,
    userId: pending.userId,
    loginAt: pending.at,
    secretEncrypted: await ctx.envelope.encrypt(generateSecret(), purpose(interaction.id, pending)),
    createdAt: ctx.now(),
    expiresAt: Math.min(pending.at + PENDING_LOGIN_TTL, interaction.expiresAt),
  });
  return opened(ctx, stored, interaction.id, pending, email);
}

/**
 * Single use: true for exactly one caller once the first code is proven, and only while the row
 * still holds the secret that code was checked against (a page reload may have stored another
 * since); ends the user's other pending enrolments.
 */
export async function finishEnrollment(ctx: ServerContext, interactionId: string, pending: PendingLogin, enrollment: TotpEnrollment): Promise<boolean> {
  return (await ctx.storage.totpEnrollments.consume(interactionId, pending.userId, pending.at, ctx.now(), enrollment.sealed)) !== null;
}
