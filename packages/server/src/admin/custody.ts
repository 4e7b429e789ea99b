/** Admin API: the chain of custody of a token or an audit event (AU-2), see audit/custody.ts. */
import { z } from 'zod';
import { NotFoundError } from '@mandate/protocol';
import { custodyOfEvent, custodyOfToken, type Custody } from '../audit/custody.ts';
import { defineRoute } from './route.ts';
import { AuditEventView, auditEventView } from './schemas.ts';

const CustodyView = z
  .object({
    hops: z.array(
      z.object({
        jti: z.string().nullable(),
        subject_jti: z.string().nullable().describe('The token this hop was exchanged from.'),
        revoked: z.boolean().nullable(),
        event: AuditEventView.nullable().describe('The issuance or exchange event of this hop (actors in data.act / data.actors).'),
      }),
    ),
  })
  .describe('Newest first: the token asked for, then each token it was exchanged from, back to the original issuance.');

function custodyView(c: Custody): z.output<typeof CustodyView> {
  return { hops: c.hops.map((h) => ({ jti: h.jti, subject_jti: h.subjectJti, revoked: h.revoked, event: h.event ? auditEventView(h.event) : null })) };
}

export const custodyRoutes = [
  defineRoute({
    method: 'get',
    path: '/custody/tokens/:jti',
    operationId: 'getTokenCustody',
    summary: 'The chain of custody of an access token, ID-JAG or our ID token by its jti: every exchange back to the original issuance.',
    tag: 'audit',
    params: z.object({ jti: z.string().min(1).max(200) }),
    success: { status: 200, description: 'The chain, newest first.', schema: CustodyView },
    errors: [404],
    async handle({ ctx, params }) {
      const custody = await custodyOfToken(ctx.storage, params.jti);
      if (!custody) throw new NotFoundError(`No token or issuance event with jti ${params.jti}.`);
      return custodyView(custody);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/custody/audit-events/:eventId',
    operationId: 'getAuditEventCustody',
    summary: 'The chain of custody starting at an audit event (an exchange or issuance).',
    tag: 'audit',
    params: z.object({ eventId: z.string().min(1).max(200) }),
    success: { status: 200, description: 'The chain, newest first.', schema: CustodyView },
    errors: [404],
    async handle({ ctx, params }) {
      const custody = await custodyOfEvent(ctx.storage, params.eventId);
      if (!custody) throw new NotFoundError(`No audit event ${params.eventId}.`);
      return custodyView(custody);
    },
  }),
];
