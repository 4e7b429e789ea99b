/**
 * How the subject was authenticated (OIDC Core §2 `auth_time`, `acr`, `amr`), carried into the
 * exchanged token so a resource server can still ask for a recent or strong login (step-up).
 * Read from whichever subject token was verified: ours, an external ID token or an ID-JAG.
 */
import type { JWTPayload } from 'jose';
import { mappedAcr } from '../../federation/acr-mappings.ts';

export interface SubjectAuthentication {
  authTime: number | null;
  acr: string | null;
  amr: string[];
}

/** RFC 7519 §4.1.3 `aud`: one string or an array of them; anything else (a signed token may hold anything) names no audience. */
export function audiencesOf(claims: JWTPayload): string[] {
  const aud: unknown = claims.aud;
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
}

/**
 * `acrMappings`: for another issuer's token, its acr values that count as ours (federation/acr-mappings.ts);
 * an unmapped acr is dropped. Without it the acr is taken as is: our own tokens, or claims already mapped (ID-JAGs, verifyIdJag).
 */
export function authentication(claims: JWTPayload, acrMappings?: Readonly<Record<string, string>>): SubjectAuthentication {
  return {
    authTime: typeof claims.auth_time === 'number' ? claims.auth_time : null,
    acr: acrMappings ? mappedAcr(claims.acr, acrMappings) : typeof claims.acr === 'string' ? claims.acr : null,
    amr: Array.isArray(claims.amr) ? claims.amr.filter((m): m is string => typeof m === 'string') : [],
  };
}
