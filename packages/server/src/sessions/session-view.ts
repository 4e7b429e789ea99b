/**
 * Login sessions as the admin and self-service APIs show them, and their revocation (CO-1: ending
 * a session revokes every grant created under it, exchanged grants and tokens included).
 *
 * Storage keys a session by the SHA-256 of its cookie, and API views never carry a hash of a
 * secret (admin/schemas.ts). A session's `id` is therefore a handle derived one way from that
 * key, under its own label (session-handle.ts): it names the session without revealing the stored
 * key, and storage finds it by the (user_id, handle) index (migration 0014).
 */
import { z } from 'zod';
import { NotFoundError } from '@mandate/protocol';
import type { ServerContext } from '../context.ts';
import type { SessionRecord } from '../storage/records.ts';
import { sessionHandle } from './session-handle.ts';

const epoch = z.number().int().describe('Unix time, seconds');

export const SessionView = z.object({
  id: z.string().describe('Handle of the session (not its cookie, nor the hash storage keeps).'),
  user_id: z.string(),
  auth_time: epoch,
  acr: z.string(),
  amr: z.array(z.string()),
  created_at: epoch,
  expires_at: epoch,
  revoked_at: epoch.nullable(),
  active: z.boolean().describe('Neither revoked nor expired.'),
});

export const RevokedSession = z.object({
  ended: z.boolean().describe('False when the session had already ended (its grants are revoked anyway).'),
  revoked_grants: z.array(z.string()).describe('Ids of every grant revoked with the session, derived grants included.'),
});

export function sessionView(s: SessionRecord, now: number): z.output<typeof SessionView> {
  return {
    id: sessionHandle(s.idHash),
    user_id: s.userId,
    auth_time: s.authTime,
    acr: s.acr,
    amr: s.amr,
    created_at: s.createdAt,
    expires_at: s.expiresAt,
    revoked_at: s.revokedAt,
    active: s.revokedAt === null && s.expiresAt > now,
  };
}

/**
 * The user's session with this handle, ended ones included (a replaced session's grants live on,
 * CO-1, so it must stay revocable however many newer sessions the user has), or 404.
 */
async function findSession(ctx: ServerContext, userId: string, handle: string): Promise<SessionRecord> {
  const session = await ctx.storage.sessions.getByHandle(userId, handle);
  if (session) return session;
  throw new NotFoundError(`No session ${handle}.`);
}

/** Ends the user's session and revokes its grants' trees; 404 for another user's session, exactly as for none. */
export async function revokeUserSession(ctx: ServerContext, userId: string, handle: string, reason: string): Promise<z.output<typeof RevokedSession>> {
  const session = await findSession(ctx, userId, handle);
  const { ended, revokedGrants } = await ctx.storage.sessions.revokeWithGrants(session.idHash, ctx.now(), reason);
  return { ended, revoked_grants: revokedGrants };
}
