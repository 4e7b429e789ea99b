/**
 * Another domain's `acr` (OIDC Core §2) names its own authentication classes: it means something
 * here only through the operator's mapping to one of ours. Trusting a partner to say who its
 * users are is not trusting it to say they passed our phishing-resistant class: an unmapped value
 * is dropped, never copied, so it cannot satisfy an RFC 9470 step-up check at our resource
 * servers. Upstream SSO reads a provider's acr the same way (interaction/steps/upstream-callback.ts).
 */
import type { JWTPayload } from 'jose';
import { UpstreamProviderSchema } from './upstream-schema.ts';

/** The upstream providers' `acrMappings` schema: the issuer's acr value → one of our classes (Acr). */
export const AcrMappingsSchema = UpstreamProviderSchema.shape.acrMappings;

/** The class of ours an issuer's `acr` maps to, or null (not a string, or not mapped). Own keys only: "constructor" maps nothing. */
export function mappedAcr(acr: unknown, mappings: Readonly<Record<string, string>>): string | null {
  if (typeof acr !== 'string' || !Object.hasOwn(mappings, acr)) return null;
  return mappings[acr] ?? null;
}

/** The verified claims with `acr` read as ours: translated through the mappings, or removed. */
export function withLocalAcr(claims: JWTPayload, mappings: Readonly<Record<string, string>>): JWTPayload {
  const { acr: _foreign, ...rest } = claims;
  const acr = mappedAcr(claims.acr, mappings);
  return acr === null ? rest : { ...rest, acr };
}
