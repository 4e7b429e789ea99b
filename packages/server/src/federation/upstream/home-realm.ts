/**
 * Home-realm discovery: the user types an email, its domain names the provider that signs them
 * in (each domain belongs to at most one provider, federation/upstream-schema.ts).
 */
import type { UpstreamProvider } from '../upstream-schema.ts';
import { emailDomain } from './email.ts';

export function providerForEmail(providers: readonly UpstreamProvider[], email: string): UpstreamProvider | null {
  const domain = emailDomain(email.trim());
  if (domain === null) return null;
  return providers.find((p) => p.emailDomains.includes(domain)) ?? null;
}
