/**
 * Admin API: a user's browser login sessions. Revoking one ends it and revokes every grant created
 * under it with their trees (CO-1, issue 3) — storage does both atomically
 * (storage.ts sessions.revokeWithGrants).
 */
import { z } from 'zod';
import { NotFoundError } from '@mandate/protocol';
import { RevokedSession, revokeUserSession, SessionView, sessionView } from '../sessions/session-view.ts';
import { defineRoute } from './route.ts';
import { listOf } from './schemas.ts';

const UserIdParam = z.object({ userId: z.string().min(1).max(200) });

export const sessionRoutes = [
  defineRoute({
    method: 'get',
    path: '/users/:userId/sessions',
    operationId: 'listUserSessions',
    summary: "List a user's login sessions (live ones unless asked for ended ones too).",
    tag: 'sessions',
    params: UserIdParam,
    query: z.object({ include_ended: z.stringbool().default(false).describe('Include revoked and expired sessions ("true"/"false").') }),
    success: { status: 200, description: 'The sessions, newest first.', schema: listOf(SessionView) },
    errors: [404],
    async handle({ ctx, params, query }) {
      if (!(await ctx.storage.users.get(params.userId))) throw new NotFoundError(`No user ${params.userId}.`);
      const now = ctx.now();
      const sessions = await ctx.storage.sessions.listForUser(params.userId, { now, includeEnded: query.include_ended });
      return { items: sessions.map((s) => sessionView(s, now)) };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/users/:userId/sessions/:sessionId',
    operationId: 'revokeUserSession',
    summary: 'End a login session and revoke every grant created under it, with the grants derived from them and all their tokens.',
    tag: 'sessions',
    params: UserIdParam.extend({ sessionId: z.string().min(1).max(200) }),
    success: { status: 200, description: 'Whether the session was live, and the grants revoked.', schema: RevokedSession },
    errors: [404],
    async handle({ ctx, params, auditData }) {
      const result = await revokeUserSession(ctx, params.userId, params.sessionId, 'session revoked by an administrator');
      auditData.revoked_grants = result.revoked_grants;
      return result;
    },
  }),
];
