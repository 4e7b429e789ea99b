/**
 * The public name of a login session. Storage keys a session by the SHA-256 of its cookie, and
 * API views never carry a hash of a secret (admin/schemas.ts), so the admin and self-service APIs
 * name a session by a handle derived one way from that key under its own label: it names the
 * session without revealing the stored key (nor, a fortiori, the cookie).
 *
 * Stored too (`sessions.handle`, migration 0014) so a revocation finds the session by index.
 * The one derivation: the session repository sets it at creation, the migration backfilled
 * older rows with it, the views print it. Changing it orphans every stored handle.
 */
import { sha256 } from '../crypto/hash.ts';

export function sessionHandle(idHash: string): string {
  return `ses_${sha256(`mandate session handle\0${idHash}`).slice(0, 32)}`;
}
