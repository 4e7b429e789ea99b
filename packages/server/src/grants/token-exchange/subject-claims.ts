/**
 * How the subject was authenticated (OIDC Core §2 `auth_time`, `acr`, `amr`), carried into the
 * exchanged token so a resource server can still ask for a recent or strong login (step-up).
 * Read from whichever subject token was verified: ours, an external ID token or an ID-JAG.
 */
import type { JWTPayload } from 'jose';

export interface SubjectAuthentication {
  authTime: number | null;
  acr: string | null;
  amr: string[];
}

export function authentication(claims: JWTPayload): SubjectAuthentication {
  return {
    authTime: typeof claims.auth_time === 'number' ? claims.auth_time : null,
    acr: typeof claims.acr === 'string' ? claims.acr : null,
    amr: Array.isArray(claims.amr) ? claims.amr.filter((m): m is string => typeof m === 'string') : [],
  };
}
