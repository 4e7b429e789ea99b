/**
 * Admin API: consents and grants. Revoking a consent revokes every grant resting on it; revoking a
 * grant revokes its whole tree (derived grants, refresh and access tokens) — storage does both
 * atomically (storage.ts consents.revokeWithGrants / grants.revokeTree), and the route's
 * transaction (route.ts) holds them with their audit event.
 */
import { z } from 'zod';
import { NotFoundError } from '@mandate/protocol';
import { defineRoute } from './route.ts';
import { ConsentView, consentView, GrantView, grantView, listOf, Pagination, RevokedGrants } from './schemas.ts';

const includeRevoked = z.stringbool().default(false).describe('Include revoked entries ("true"/"false").');

export const grantRoutes = [
  defineRoute({
    method: 'get',
    path: '/users/:userId/consents',
    operationId: 'listUserConsents',
    summary: 'List the consents a user gave (remembered per user + client + resource + scopes).',
    tag: 'consents',
    params: z.object({ userId: z.string().min(1).max(200) }),
    query: z.object({ client_id: z.string().min(1).max(2048).optional(), include_revoked: includeRevoked }),
    success: { status: 200, description: 'The consents.', schema: listOf(ConsentView) },
    async handle({ ctx, params, query }) {
      const consents = await ctx.storage.consents.listForUser(params.userId, {
        ...(query.client_id ? { clientId: query.client_id } : {}),
        includeRevoked: query.include_revoked,
      });
      return { items: consents.map(consentView) };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/consents/:consentId',
    operationId: 'revokeConsent',
    summary: 'Revoke a consent and every grant (and token) resting on it.',
    tag: 'consents',
    params: z.object({ consentId: z.string().min(1).max(200) }),
    success: { status: 200, description: 'The grants revoked with the consent.', schema: RevokedGrants },
    errors: [404],
    async handle({ ctx, params, auditData }) {
      const consent = await ctx.storage.consents.get(params.consentId);
      if (!consent) throw new NotFoundError(`No consent ${params.consentId}.`);
      // CO-1: the consent first, then its grants, in one transaction (storage: consents.revokeWithGrants).
      const { revokedGrants: revoked } = await ctx.storage.consents.revokeWithGrants(consent.id, ctx.now(), 'consent revoked by an administrator');
      Object.assign(auditData, { user_id: consent.userId, consent_client_id: consent.clientId, revoked_grants: revoked });
      return { revoked_grants: revoked };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/grants',
    operationId: 'listGrants',
    summary: 'List grants, by user and/or client.',
    tag: 'grants',
    query: Pagination.extend({
      user_id: z.string().min(1).max(200).optional(),
      client_id: z.string().min(1).max(2048).optional(),
      include_revoked: includeRevoked,
    }),
    success: { status: 200, description: 'A page of grants.', schema: listOf(GrantView) },
    async handle({ ctx, query }) {
      const grants = await ctx.storage.grants.list({
        ...(query.user_id ? { userId: query.user_id } : {}),
        ...(query.client_id ? { clientId: query.client_id } : {}),
        includeRevoked: query.include_revoked,
        limit: query.limit,
        offset: query.offset,
      });
      return { items: grants.map(grantView) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/grants/:grantId',
    operationId: 'getGrant',
    summary: 'Read one grant.',
    tag: 'grants',
    params: z.object({ grantId: z.string().min(1).max(200) }),
    success: { status: 200, description: 'The grant.', schema: GrantView },
    errors: [404],
    async handle({ ctx, params }) {
      const grant = await ctx.storage.grants.get(params.grantId);
      if (!grant) throw new NotFoundError(`No grant ${params.grantId}.`);
      return grantView(grant);
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/grants/:grantId',
    operationId: 'revokeGrant',
    summary: 'Revoke a grant, the grants derived from it, and all their refresh and access tokens.',
    tag: 'grants',
    params: z.object({ grantId: z.string().min(1).max(200) }),
    success: { status: 200, description: 'The grants revoked.', schema: RevokedGrants },
    errors: [404],
    async handle({ ctx, params, auditData }) {
      const grant = await ctx.storage.grants.get(params.grantId);
      if (!grant) throw new NotFoundError(`No grant ${params.grantId}.`);
      const revoked = await ctx.storage.grants.revokeTree(grant.id, ctx.now(), 'revoked by an administrator');
      Object.assign(auditData, { user_id: grant.userId, grant_client_id: grant.clientId, revoked_grants: revoked });
      return { revoked_grants: revoked };
    },
  }),
];
