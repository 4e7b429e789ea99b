/**
 * What the linked-accounts page tells the user about an entry (issue 5: "failures marked on the
 * entry and shown to the user"). The entry stores only a code (`last_error`: the provider's
 * RFC 6749 §5.2 error, one of the vault's own codes, or `revocation_failed:<code>`); the user
 * gets a sentence saying what happened and what to do. An unknown code is shown as a code,
 * escaped by the page like everything else.
 */
import type { VaultEntryStatus } from '../storage/records.ts';

export const STATUS_LABEL: Record<VaultEntryStatus, string> = {
  ok: 'Linked',
  refresh_failed: 'Needs linking again',
  revoked: 'Being unlinked',
};

/** Codes with a sentence; the rest fall back to "The provider reported an error (<code>)". */
const MESSAGES: Record<string, string> = {
  // The provider refused the refresh (RFC 6749 §5.2): the grant is gone, only a new link helps.
  invalid_grant: 'The provider no longer accepts this link (access was withdrawn or has expired). Link the account again.',
  no_refresh_token: 'Access expired and the provider gave no way to renew it. Link the account again.',
  invalid_scope: 'The provider refused the permissions this link asks for. Link the account again, or ask an administrator.',
  invalid_client: "The provider refused this server's credentials. An administrator must fix the connection.",
  unauthorized_client: "The provider refused this server's credentials. An administrator must fix the connection.",
  invalid_request: 'The provider rejected the request. If linking again does not help, ask an administrator.',
  // Transient: the entry stays usable and the next use retries.
  network_error: 'The provider could not be reached at the last attempt. It will be tried again.',
  temporarily_unavailable: 'The provider was temporarily unavailable at the last attempt. It will be tried again.',
  server_error: 'The provider had an internal error at the last attempt. It will be tried again.',
  invalid_response: 'The provider gave an unexpected answer at the last attempt. It will be tried again.',
  endpoint_refused: "This server is not allowed to contact the provider's address. Ask an administrator.",
  connection_integrity: "The connection's configuration was changed outside Mandate. Ask an administrator to save it again.",
  user_deprovisioned: 'Your account was deactivated, so this link was withdrawn.',
  connection_deleted: 'An administrator removed this provider, so this link is being withdrawn.',
};

/** A human sentence for a stored `last_error` code. */
export function errorMessage(code: string): string {
  const revocation = /^revocation_failed:(.*)$/.exec(code);
  if (revocation) {
    const cause = revocation[1] ?? '';
    if (cause === 'connection_integrity') return `${MESSAGES.connection_integrity} Access is not yet withdrawn at the provider; unlink again afterwards.`;
    return `The provider did not confirm that access was withdrawn (${cause}). Unlink again to retry.`;
  }
  return MESSAGES[code] ?? `The provider reported an error (${code}).`;
}
