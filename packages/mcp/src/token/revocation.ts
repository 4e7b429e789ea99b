/**
 * Revocation sources (CO-1, EN-2): a JWT verifies until it expires, so a resource server that
 * must honour revocation asks the authorization server. Pluggable; the introspection one asks
 * RFC 7662 whether the token is still active (cached briefly: revocation reaches us within that
 * window). When the AS cannot answer, the token is refused (fail closed).
 */
import type { AuthContext, RevocationSource } from '../core/types.ts';
import type { Introspector } from './introspection.ts';

export class IntrospectionRevocationSource implements RevocationSource {
  constructor(private readonly introspector: Introspector) {}

  async isRevoked(auth: AuthContext): Promise<boolean> {
    const answer = await this.introspector.introspect(auth.token);
    return !answer.active;
  }
}
