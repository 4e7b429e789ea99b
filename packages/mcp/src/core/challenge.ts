/**
 * WWW-Authenticate challenges: RFC 6750 §3 (Bearer), RFC 9728 §5.1 (resource_metadata),
 * RFC 9449 §7.1 (DPoP, with `algs`), RFC 9470 §3 (acr_values, max_age).
 */
import type { ResourceServerError } from './errors.ts';

export interface ChallengeSettings {
  resourceMetadataUrl: string;
  /** The scopes to advertise when the error names none (SCOPE-1). */
  defaultScope: string[];
  /** Offer the DPoP scheme (RFC 9449 §7.1), with these algorithms. */
  dpopAlgs: string[] | undefined;
  /** Only DPoP-bound tokens are accepted: do not offer Bearer. */
  dpopRequired: boolean;
}

/** RFC 7235 §2.1 quoted-string: the characters a description may carry, nothing else. */
function quote(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]/g, ' ').replace(/["\\]/g, '')}"`;
}

function params(error: ResourceServerError | undefined, s: ChallengeSettings): string[] {
  const out: string[] = [];
  if (error && error.error !== '') {
    out.push(`error=${quote(error.error)}`);
    if (error.message) out.push(`error_description=${quote(error.message)}`);
  }
  const scope = error?.params.scope ?? s.defaultScope;
  if (scope.length > 0) out.push(`scope=${quote(scope.join(' '))}`);
  if (error?.params.acrValues && error.params.acrValues.length > 0) out.push(`acr_values=${quote(error.params.acrValues.join(' '))}`);
  if (error?.params.maxAge !== undefined) out.push(`max_age=${error.params.maxAge}`);
  out.push(`resource_metadata=${quote(s.resourceMetadataUrl)}`);
  return out;
}

/**
 * The header value. DPoP errors go in the DPoP challenge only; the other errors go in the
 * scheme the client used (`scheme`), and both schemes are offered when DPoP is enabled.
 */
export function wwwAuthenticate(error: ResourceServerError | undefined, s: ChallengeSettings, scheme: 'Bearer' | 'DPoP' | undefined): string {
  const dpopError = error?.error === 'invalid_dpop_proof' || error?.error === 'use_dpop_nonce';
  const challenges: string[] = [];
  const dpopOn = s.dpopAlgs !== undefined;
  const errorIn: 'Bearer' | 'DPoP' = dpopError || scheme === 'DPoP' || (s.dpopRequired && dpopOn) ? 'DPoP' : 'Bearer';
  if (!s.dpopRequired || !dpopOn) {
    challenges.push(`Bearer ${params(errorIn === 'Bearer' ? error : undefined, s).join(', ')}`);
  }
  if (dpopOn) {
    const p = params(errorIn === 'DPoP' ? error : undefined, s);
    p.push(`algs=${quote((s.dpopAlgs ?? []).join(' '))}`);
    challenges.push(`DPoP ${p.join(', ')}`);
  }
  return challenges.join(', ');
}
