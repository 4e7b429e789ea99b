/** Admin API: the audit trail (AU-1), newest last, paged by sequence number. */
import { z } from 'zod';
import { defineRoute } from './route.ts';
import { AuditEventView, auditEventView, listOf } from './schemas.ts';

export const auditRoutes = [
  defineRoute({
    method: 'get',
    path: '/audit-events',
    operationId: 'listAuditEvents',
    summary: 'List audit events after a sequence number, optionally filtered by user, client or event name.',
    tag: 'audit',
    query: z.object({
      after_seq: z.coerce.number().int().min(0).optional(),
      user_id: z.string().min(1).max(200).optional(),
      client_id: z.string().min(1).max(2048).optional(),
      event: z.string().min(1).max(200).optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
    success: { status: 200, description: 'The events, in chain order.', schema: listOf(AuditEventView) },
    async handle({ ctx, query }) {
      const events = await ctx.storage.audit.list({
        ...(query.after_seq !== undefined ? { afterSeq: query.after_seq } : {}),
        ...(query.user_id ? { userId: query.user_id } : {}),
        ...(query.client_id ? { clientId: query.client_id } : {}),
        ...(query.event ? { event: query.event } : {}),
        limit: query.limit,
      });
      return { items: events.map(auditEventView) };
    },
  }),
];
