import { formatScope } from '@mandate/protocol';
import { checkScopeAllowed, parseRequestedScope } from '../../checks/scope.ts';
import type { AuthorizationCheck } from './check.ts';

/**
 * RFC 6749 §3.3: the requested scope must be well formed, supported by the server and allowed for
 * the client (invalid_scope otherwise). `openid` makes the request an OpenID Connect one (OIDC
 * Core §3.1.2.1): the nonce is kept and an ID token is issued at the token endpoint.
 */
export const checkScope: AuthorizationCheck = ({ ctx, client, params }, request) => {
  const scopes = parseRequestedScope(params.get('scope'));
  checkScopeAllowed(scopes, client, ctx.config);
  request.scope = formatScope(scopes);
  request.openid = scopes.has('openid');
};
