/**
 * Who may register (CL-3, config `dcr.policy`):
 *   off        no dynamic registration; the endpoint answers 404 and metadata omits it.
 *   allowlist  only software whose software_id the operator listed (RFC 7591 §2 software_id;
 *              refused with unapproved_software_statement, RFC 7591 §3.2.2).
 *   open       anyone.
 * Registrations are rate limited (`dcr.ratePerMinute`, 429 with Retry-After), because a software_id
 * is no secret (every registration response carries it), so an allowlist alone does not stop one
 * caller writing client rows without limit:
 *   open       per client address, before the body is read (every POST may write a row).
 *   allowlist  after the software_id is checked, per client address and per approved software_id
 *              and address: only approved attempts count, and one address cannot multiply its
 *              budget by the number of approved software_ids. Refused unapproved ones write nothing
 *              and are not counted, so junk POSTs cannot use up the budget of the allowlisted software.
 * IPv6 callers are counted per /64 (http/rate-limit-key.ts). clientIp trusts no forwarded headers:
 * behind a TLS-terminating proxy every caller has the proxy's address, so the per-address limit is
 * effectively global (one limit for all callers, per software_id under allowlist).
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
  /** `open` only: counts one registration attempt against the caller's address, before the body is read; 429 when over. */
  checkAddressRate(c: Context, now: number): void;
  /** Checks what the metadata says about the software; used on registration and on RFC 7592 update. */
  checkSoftware(metadata: Record<string, unknown>): void;
  /** `allowlist` only: counts one approved attempt (call after checkSoftware) per address and per software_id and address; 429 when over either. */
  checkSoftwareRate(c: Context, metadata: Record<string, unknown>, now: number): void;
}

function rateLimited(wait: number): RateLimitedError {
  return new RateLimitedError(`Too many registrations from this address; retry in ${wait} seconds.`, { headers: { 'retry-after': String(wait) } });
}

export function createRegistrationPolicy(config: MandateConfig): RegistrationPolicy {
  const limiter = new RateLimiter(config.dcr.ratePerMinute, 60);
  return {
    checkAddressRate(c, now) {
      if (config.dcr.policy !== 'open') return;
      const wait = limiter.hit(`dcr:${rateLimitKey(clientIp(c))}`, now);
      if (wait > 0) throw rateLimited(wait);
    },
    checkSoftwareRate(c, metadata, now) {
      if (config.dcr.policy !== 'allowlist') return;
      const address = rateLimitKey(clientIp(c));
      // Per address over all approved software_ids: the pair limit alone would allow ratePerMinute
      // rows per software_id, so a longer allowlist would let one address write more.
      const addressWait = limiter.hit(`dcr:addr:${address}`, now);
      if (addressWait > 0) throw rateLimited(addressWait);
      // JSON-encoded pair: no software_id can make its key collide with another's.
      const wait = limiter.hit(`dcr:${JSON.stringify([String(metadata.software_id), address])}`, now);
      if (wait > 0) throw rateLimited(wait);
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
