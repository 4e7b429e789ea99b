/**
 * Who may register (CL-3, config `dcr.policy`):
 *   off        no dynamic registration; the endpoint answers 404 and metadata omits it.
 *   allowlist  only software whose software_id the operator listed (RFC 7591 §2 software_id;
 *              refused with unapproved_software_statement, RFC 7591 §3.2.2).
 *   open       anyone.
 * Under both `allowlist` and `open` registrations are rate limited per client address
 * (`dcr.ratePerMinute`, 429 with Retry-After): a software_id is no secret (every registration
 * response carries it), so an allowlist alone does not stop one caller writing client rows without
 * limit. IPv6 callers are counted per /64 (http/rate-limit-key.ts).
 * Software statements (RFC 7591 §2.3) are not supported: refused rather than ignored, so a client
 * never believes a statement it sent was verified.
 */
import type { Context } from 'hono';
import { InvalidSoftwareStatementError, RateLimitedError, UnapprovedSoftwareStatementError } from '@mandate/protocol';
import type { MandateConfig } from '../../config/config.ts';
import { clientIp } from '../../http/client-ip.ts';
import { RateLimiter } from '../../http/rate-limit.ts';
import { rateLimitKey } from '../../http/rate-limit-key.ts';

export interface RegistrationPolicy {
  /** Counts one registration attempt against the caller's address (allowlist and open); throws 429 when over. */
  checkRate(c: Context, now: number): void;
  /** Checks what the metadata says about the software; used on registration and on RFC 7592 update. */
  checkSoftware(metadata: Record<string, unknown>): void;
}

export function createRegistrationPolicy(config: MandateConfig): RegistrationPolicy {
  const limiter = new RateLimiter(config.dcr.ratePerMinute, 60);
  return {
    checkRate(c, now) {
      if (config.dcr.policy === 'off') return;
      const wait = limiter.hit(`dcr:${rateLimitKey(clientIp(c))}`, now);
      if (wait > 0) {
        throw new RateLimitedError(`Too many registrations from this address; retry in ${wait} seconds.`, { headers: { 'retry-after': String(wait) } });
      }
    },
    checkSoftware(metadata) {
      if (metadata.software_statement !== undefined) {
        throw new InvalidSoftwareStatementError('Software statements (RFC 7591 §2.3) are not supported by this server; register without software_statement.');
      }
      if (config.dcr.policy !== 'allowlist') return;
      const softwareId = metadata.software_id;
      if (typeof softwareId !== 'string' || !config.dcr.softwareIds.includes(softwareId)) {
        throw new UnapprovedSoftwareStatementError(
          typeof softwareId === 'string'
            ? `The software_id ${JSON.stringify(softwareId.slice(0, 200))} is not approved for dynamic registration on this server.`
            : 'This server only registers approved software: send an approved software_id.',
        );
      }
    },
  };
}
