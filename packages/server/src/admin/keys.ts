/**
 * Admin API: the server's signing keys (public information only) and rotation. A rotated-out key
 * stays published until the last token it signed has expired (keys/signing-keys.ts).
 */
import { defineRoute } from './route.ts';
import { listOf, SigningKeyView, signingKeyView } from './schemas.ts';

export const keyRoutes = [
  defineRoute({
    method: 'get',
    path: '/keys',
    operationId: 'listSigningKeys',
    summary: 'List signing keys: the active key and retired keys still published.',
    tag: 'keys',
    success: { status: 200, description: 'The keys (public parts only).', schema: listOf(SigningKeyView) },
    async handle({ ctx }) {
      return { items: (await ctx.storage.signingKeys.list()).map(signingKeyView) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/keys/rotate',
    operationId: 'rotateSigningKey',
    summary: 'Create a new active signing key; the previous one is retired but stays published until its tokens expire.',
    tag: 'keys',
    success: { status: 201, description: 'The new active key.', schema: SigningKeyView },
    // The key store writes through its own storage handle: not inside a route transaction.
    transactional: false,
    async handle({ ctx, auditData }) {
      const key = await ctx.keys.rotate();
      auditData.kid = key.kid;
      return signingKeyView(key);
    },
  }),
];
