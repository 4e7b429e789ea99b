/**
 * Which authentication step an interaction needs next (HU-1, RS-4). session.ts says whether the
 * browser's session fits the request at all; this adds the step-up rule: when the session's user
 * is known and only the factor is missing, ask for that factor alone instead of a new login.
 *
 *   session fits the request                                → none
 *   acr_values asks for more than the session has, a passkey
 *     satisfies it, and the user has one                    → passkey (the missing step only)
 *   max_age exceeded on a passkey session, user has one     → passkey (re-prove the same factor)
 *   anything else (no session, prompt=login, too old, ...)  → login page (password, TOTP; or a passkey)
 *
 * A login done inside the interaction settles prompt and max_age (session.ts) but not a class
 * the user can still reach: after password + TOTP, a request for the phishing-resistant class
 * continues with the passkey step when the user has a passkey. Without one, acr_values stays the
 * voluntary request of OIDC Core §5.5.1.1 and the `acr` claim tells the client what was achieved.
 */
import { Acr } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import type { InteractionRecord, UserRecord } from '../storage/records.ts';
import type { AuthorizationRequest } from '../endpoints/authorize/request.ts';
import { acrSatisfies } from './acr.ts';
import { reauthenticationReason, type ActiveSession, type ReauthenticationReason } from './session.ts';

export type AuthenticationStep = { kind: 'none' } | { kind: 'login'; reason: ReauthenticationReason } | { kind: 'passkey'; user: UserRecord };

function passkeyStepApplies(session: ActiveSession, request: AuthorizationRequest, reason: ReauthenticationReason | null): boolean {
  if (reason === 'no_session' || reason === 'prompt_login') return false;
  const stronger = !acrSatisfies(session.record.acr, request.acrValues) && acrSatisfies(Acr.Passkey, request.acrValues);
  const renew = reason === 'max_age' && session.record.acr === Acr.Passkey;
  return stronger || renew;
}

export async function authenticationStep(
  ctx: ServerContext,
  session: ActiveSession | null,
  request: AuthorizationRequest,
  interaction: Pick<InteractionRecord, 'sessionIdHash'>,
): Promise<AuthenticationStep> {
  const reason = reauthenticationReason(ctx, session, request, interaction);
  if (session && passkeyStepApplies(session, request, reason) && (await ctx.storage.passkeys.listForUser(session.user.id)).length > 0) {
    return { kind: 'passkey', user: session.user };
  }
  return reason === null ? { kind: 'none' } : { kind: 'login', reason };
}
