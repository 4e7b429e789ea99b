/**
 * The TOTP second factor (RFC 6238, HU-1). One time step of clock drift is accepted either way
 * (RFC 6238 §5.2 recommends at most one), and a code that worked once is refused for as long as
 * it could still be valid, so a shoulder-surfed or phished code cannot be replayed (§5.2).
 */
import { verify } from 'otplib';
import type { ServerContext } from '../context.ts';
import type { UserRecord } from '../storage/records.ts';

const PERIOD = 30;
const CODE = /^\d{6}$/;

export type TotpResult = 'valid' | 'invalid' | 'replayed';

export function hasTotp(user: Pick<UserRecord, 'totpSecretEncrypted'>): boolean {
  return user.totpSecretEncrypted !== null;
}

export async function verifyTotp(ctx: ServerContext, user: UserRecord, code: string): Promise<TotpResult> {
  if (user.totpSecretEncrypted === null || !CODE.test(code)) return 'invalid';
  const encrypted = user.totpSecretEncrypted;
  return verifyCode(ctx, user.id, code, () => ctx.envelope.decrypt(encrypted, 'totp'));
}

/**
 * The same check for a secret not stored yet (totp-enrollment.ts), with the same replay record:
 * the code that completed an enrolment cannot be used again for the next login either.
 */
export async function verifyTotpSecret(ctx: ServerContext, userId: string, secret: string, code: string): Promise<TotpResult> {
  if (!CODE.test(code)) return 'invalid';
  return verifyCode(ctx, userId, code, async () => secret);
}

async function verifyCode(ctx: ServerContext, userId: string, code: string, secretOf: () => Promise<string>): Promise<TotpResult> {
  const now = ctx.now();
  let valid: boolean;
  try {
    valid = (await verify({ secret: await secretOf(), token: code, epoch: now, epochTolerance: PERIOD })).valid;
  } catch (err) {
    // A secret that cannot be decrypted or used is a server-side fault; the login fails closed.
    ctx.logger.error({ err: (err as Error).message, userId }, 'TOTP verification failed');
    return 'invalid';
  }
  if (!valid) return 'invalid';
  // Valid for at most three steps (previous, current, next): remember it that long.
  const fresh = await ctx.storage.replay.remember('totp', `${userId}:${code}`, now + 3 * PERIOD, now);
  return fresh ? 'valid' : 'replayed';
}
