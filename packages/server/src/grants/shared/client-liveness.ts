/**
 * The client re-checked inside an issuing transaction: grant-less issuances (client_credentials,
 * workload jwt-bearer, ID-JAG), whose token rests on nothing but its client, and token exchange,
 * whose derived grant belongs to the requesting client. Deleting a client revokes its grants and
 * its live grant-less tokens and publishes them on the revocation feed (CO-1,
 * clients/lifecycle.ts), in its own transaction. The client was authenticated before the token
 * was signed; a deletion committing meanwhile would revoke before this grant or token is stored
 * and never see it, leaving a token of a deleted client that resource servers validating JWTs
 * locally keep accepting.
 *
 * PostgreSQL lock order: the user row (ID-JAG), then the client row (`for key share`), before the
 * agent, the grants, the token row and the audit lock — the deletion's order too (client row
 * `for update`, then its grants and tokens, then the audit lock), so either the deletion committed
 * first and the row is gone here, or it waits for this commit and revokes and publishes what was
 * stored here.
 */
import type { ServerContext } from '../../context.ts';
import { clientAuthenticationFailed } from '../../clients/auth/failure.ts';
import type { ClientRecord } from '../../storage/records.ts';

export async function checkClientStillRegistered(txCtx: Pick<ServerContext, 'storage'>, client: Pick<ClientRecord, 'clientId' | 'source'>): Promise<void> {
  // A Client ID Metadata Document client has no row to delete (clients/registry.ts): nothing to re-check.
  if (client.source === 'cimd') return;
  // Answered like an unknown client (clients/auth/failure.ts): it is one now.
  if (!(await txCtx.storage.clients.existsForShare(client.clientId))) throw clientAuthenticationFailed('client deleted while the token was issued');
}
