import { checkResourceIndicators } from '../../checks/resource-indicators.ts';
import type { AuthorizationCheck } from './check.ts';

/**
 * RFC 8707 §2: one or more `resource` parameters name where the tokens will be used; each must be
 * an absolute URI without fragment, served by this authorization server (invalid_target).
 */
export const checkResource: AuthorizationCheck = ({ ctx, params }, request) => {
  request.resources = checkResourceIndicators(params.getAll('resource'), ctx.config);
};
