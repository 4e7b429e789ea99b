/**
 * Authentication context classes (OIDC Core §2 `acr`) and methods (RFC 8176 `amr`). The class is
 * derived from the methods used, so a new method (passkeys: `hwk`/`swk` + `user`, issue 4) only
 * adds a rule here; the ordering below says which classes satisfy a request for another.
 */
import { Acr } from '@mandate/protocol';

/** Weakest first: a stronger class satisfies a request for a weaker one. */
const STRENGTH: readonly string[] = [Acr.Password, Acr.PasswordTotp, Acr.Passkey];

export function acrForAmr(amr: readonly string[]): string {
  if ((amr.includes('hwk') || amr.includes('swk')) && amr.includes('user')) return Acr.Passkey;
  if (amr.includes('pwd') && amr.includes('otp')) return Acr.PasswordTotp;
  return Acr.Password;
}

function strength(acr: string): number {
  return STRENGTH.indexOf(acr);
}

/** True when no class was requested, or the session's class is at least as strong as one requested. */
export function acrSatisfies(sessionAcr: string, requested: readonly string[]): boolean {
  if (requested.length === 0) return true;
  const have = strength(sessionAcr);
  return have >= 0 && requested.some((r) => strength(r) >= 0 && have >= strength(r));
}
