/**
 * RFC 9449 §9: server-provided nonces. Stateless: a nonce is a time step plus an HMAC over it,
 * so any instance holding the key accepts it; the current and the previous step are valid.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export class DpopNonces {
  private readonly key: Buffer;
  constructor(
    private readonly stepSeconds = 300,
    key?: Uint8Array,
  ) {
    this.key = Buffer.from(key ?? randomBytes(32));
  }

  private mac(step: number): string {
    return createHmac('sha256', this.key).update(`dpop-nonce:${step}`).digest('base64url');
  }

  current(now: number): string {
    const step = Math.floor(now / this.stepSeconds);
    return `${step.toString(36)}.${this.mac(step)}`;
  }

  valid(nonce: unknown, now: number): boolean {
    if (typeof nonce !== 'string') return false;
    const [stepText, mac] = nonce.split('.');
    if (!stepText || !mac) return false;
    const step = parseInt(stepText, 36);
    const currentStep = Math.floor(now / this.stepSeconds);
    if (step !== currentStep && step !== currentStep - 1) return false;
    const expected = Buffer.from(this.mac(step));
    const given = Buffer.from(mac);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
