/** TOTP codes as an authenticator app computes them (RFC 6238, 30 s, 6 digits, SHA-1). */
import { generate } from 'otplib';

export const TOTP_PERIOD = 30;

export function totpCode(secret: string, epochSeconds = Math.floor(Date.now() / 1000)): Promise<string> {
  return generate({ secret, epoch: epochSeconds });
}

/** Resolves once the next 30-second step has begun (a code is accepted once per step). */
export function nextTotpStep(): Promise<void> {
  const ms = (TOTP_PERIOD - (Math.floor(Date.now() / 1000) % TOTP_PERIOD)) * 1000 + 50;
  return new Promise((resolve) => setTimeout(resolve, ms));
}
