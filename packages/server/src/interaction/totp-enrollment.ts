/**
 * TOTP enrolment during login (HU-1: a password only ever counts together with a second factor).
 * A user whose password was just proven but who has neither TOTP nor — having come through the
 * password form — used a passkey gets a fresh secret (RFC 6238, 160 bits as RFC 4226 §4 R6
 * recommends) to add to an authenticator app. Until its first code is proven the secret waits in
 * storage, never in the browser: encrypted with the secret key under a purpose naming the
 * interaction, the user and the password login, so a row cannot be moved to another login, and it
 * expires with that login (pending-login.ts). Showing the page again shows the same secret.
 */
import { generateSecret, generateURI } from 'otplib';
import type { ServerContext } from '../context.ts';
import type { InteractionRecord } from '../storage/records.ts';
import { PENDING_LOGIN_TTL, type PendingLogin } from './pending-login.ts';

export interface TotpEnrollment {
  /** Base32 (RFC 4648 §6), as authenticator apps take it by hand. */
  secret: string;
  /** Key URI for apps that import a link or a QR code of it. */
  uri: string;
}

function purpose(interactionId: string, pending: PendingLogin): string {
  return `totp-enrollment:${interactionId}:${pending.userId}:${pending.at}`;
}

function enrollment(ctx: ServerContext, email: string, secret: string): TotpEnrollment {
  // A colon ends the issuer part of the label, so a port never goes into it.
  const issuer = `Mandate ${new URL(ctx.config.issuer).hostname}`;
  return { secret, uri: generateURI({ issuer, label: email, secret }) };
}

/** The pending secret of this login, or null when there is none (expired, replaced, another login). */
export async function readEnrollment(ctx: ServerContext, interactionId: string, pending: PendingLogin, email: string): Promise<TotpEnrollment | null> {
  const row = await ctx.storage.totpEnrollments.get(interactionId, ctx.now());
  if (!row || row.userId !== pending.userId || row.loginAt !== pending.at) return null;
  try {
    return enrollment(ctx, email, await ctx.envelope.decrypt(row.secretEncrypted, purpose(interactionId, pending)));
  } catch {
    return null; // not sealed for this login: treat as absent
  }
}

/** The secret to show for this login: the one already pending, or a new one. */
export async function beginEnrollment(ctx: ServerContext, interaction: InteractionRecord, pending: PendingLogin, email: string): Promise<TotpEnrollment> {
  const existing = await readEnrollment(ctx, interaction.id, pending, email);
  if (existing) return existing;
  const secret = generateSecret();
  await ctx.storage.totpEnrollments.put({
    interactionId: interaction.id,
    userId: pending.userId,
    loginAt: pending.at,
    secretEncrypted: await ctx.envelope.encrypt(secret, purpose(interaction.id, pending)),
    createdAt: ctx.now(),
    expiresAt: Math.min(pending.at + PENDING_LOGIN_TTL, interaction.expiresAt),
  });
  return enrollment(ctx, email, secret);
}

/** Single use: true for exactly one caller once the first code is proven. */
export async function finishEnrollment(ctx: ServerContext, interactionId: string, pending: PendingLogin): Promise<boolean> {
  return (await ctx.storage.totpEnrollments.consume(interactionId, pending.userId, pending.at, ctx.now())) !== null;
}
