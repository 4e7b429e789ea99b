/**
 * CO-1 for an exchange of our own ID token: its scope bound is the user's live consents to the
 * client, not the grant the ID token was issued with (whose child the exchanged grant is, since
 * migration 0016). So the exchanged grant also rests on one live consent of the user to the client
 * that covers all of its scope (the newest such), and consents.revokeWithGrants reaches it even when
 * that consent is not the one its parent grant rests on. A scope only the union of several consents
 * covers is refused: one grant rests on one consent, and revoking any of them must end it.
 */
import { InvalidRequestError, InvalidScopeError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import { scopeTokens } from '../../checks/scope.ts';
import type { SubjectToken } from './subject-token.ts';
import { isConsentLive } from '../shared/live-tree.ts';

/** The consent the exchanged grant rests on: null unless the subject is our ID token. */
export function subjectConsentId(subject: SubjectToken, scope: string): string | null {
  if (subject.consents === undefined) return null;
  const wanted = scopeTokens(scope);
  const covering = subject.consents.find((c) => {
    const granted = new Set(scopeTokens(c.scope));
    return wanted.every((s) => granted.has(s));
  });
  if (!covering) throw new InvalidScopeError('No single consent of the user to this client covers the requested scope: ask for the scope of one consent.');
  return covering.id;
}

/**
 * Inside the issuing transaction: the consent is still unrevoked, read `for share` on PostgreSQL
 * so a concurrent revocation either committed first (refused here) or waits, and its
 * consents.revokeWithGrants then sees the grant written here. RFC 8693 §2.2.2: invalid_request.
 * Before the grant ancestry is locked (issue.ts): a consent revocation updates the consent and
 * then locks its grants — the ID token's grant among them — so the reverse order would deadlock.
 */
export async function requireLiveConsent(txCtx: ServerContext, consentId: string | null): Promise<void> {
  if (consentId === null) return;
  if (!(await isConsentLive(txCtx.storage, consentId))) throw new InvalidRequestError('The consent behind the subject_token has been revoked.', { detail: `consent ${consentId}` });
}
