/**
 * The refresh token grant (RFC 6749 §6, OAuth 2.1 §4.3), read top to bottom as a table of
 * checks. Every use rotates the token; reuse of a rotated one revokes the grant family.
 * A grant derived by token exchange is refreshed by delegation.ts: its chain is re-checked and
 * its token rebuilt with the same act / on_behalf_of claims.
 */
import type { GrantHandler } from '../types.ts';
import { loadRefreshToken } from './load.ts';
import { checkRefreshTokenClient, checkRefreshTokenUsable } from './checks.ts';
import { checkRefreshFamilyLifetime } from './family-lifetime.ts';
import { rotateAndIssue } from './rotate.ts';
import { refreshDelegation } from './delegation.ts';
import { checkKeyBinding } from '../shared/dpop.ts';
import { checkGrantActive, checkUserActive } from '../shared/liveness.ts';
import { narrowGrant } from '../shared/narrow.ts';

export const refreshTokenGrant: GrantHandler = async (req) => {
  const presented = req.params.require('refresh_token'); // RFC 6749 §6
  const record = await loadRefreshToken(req, presented); // unknown → invalid_grant; rotated → reuse, family revoked
  checkRefreshTokenClient(req.client, record); // RFC 6749 §6: issued to this client
  checkRefreshTokenUsable(record, req.ctx.now()); // revoked or expired
  checkKeyBinding(req.dpop, record.dpopJkt, 'refresh token'); // RFC 9449 §5: public clients' tokens are key-bound
  const grant = await checkGrantActive(req.ctx, record.grantId); // revoked grant or consent
  await checkUserActive(req.ctx, record.userId); // disabled users get no tokens
  if (grant.delegation) return refreshDelegation(req, record, grant, grant.delegation); // RFC 8693: same chain, family from its root
  checkRefreshFamilyLifetime(req.ctx, grant.id, grant.createdAt); // RFC 9700 §4.14.2: absolute lifetime
  const narrowed = narrowGrant(req.params, record, req.ctx.config); // RFC 6749 §6 scope, RFC 8707 resource, RFC 9396
  return rotateAndIssue(req, record, grant, narrowed); // OAuth 2.1 §4.3.1 rotation
};
