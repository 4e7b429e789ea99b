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
  const now = ctx.now();
  let valid: boolean;
  try {
    const secret = await ctx.envelope.decrypt(user.totpSecretEncrypted, 'totp');
    valid = (await verify({ secret, token: code, epoch: now, epochTolerance: PERIOD })).valid;
  } catch (err) {
    // A secret that cannot be decrypted or used is a server-side fault; the login fails closed.
    ctx.logger.error({ err: (err as Error).message, userId: user.id }, 'TOTP verification failed');
    return 'invalid';
  }
  if (!valid) return 'invalid';
  // Valid for at most three steps (previous, current, next): remember it that long.
  const fresh = await ctx.storage.replay.remember('totp', `${user.id}:${code}`, now + 3 * PERIOD, now);
  return fresh ? 'valid' : 'replayed';
}
