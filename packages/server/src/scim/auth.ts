/**
 * SCIM is an OAuth protected resource of Mandate, like the admin API: a Mandate Bearer access
 * token with the `mandate:scim` scope, normally a client_credentials token of the identity
 * provider's client registered with that scope. The checks are admin/auth.ts's, shared.
 * Audience: the issuer (a token requested without `resource`) or the SCIM base URL.
 */
import type { Context } from 'hono';
import type { ServerContext } from '../context.ts';
import { authenticateBearer, type AdminPrincipal, type ProtectedApi } from '../admin/auth.ts';
import { SCIM_BASE, SCIM_SCOPE } from './paths.ts';

export type ScimPrincipal = AdminPrincipal;

function scimApi(issuer: string): ProtectedApi {
  return { name: 'the SCIM API', scope: SCIM_SCOPE, realm: 'mandate-scim', audiences: [issuer, `${issuer}${SCIM_BASE}`], deniedEvent: 'scim.denied' };
}

export function authenticateScim(c: Context, ctx: ServerContext): Promise<ScimPrincipal> {
  return authenticateBearer(c, ctx, scimApi(ctx.config.issuer));
}
