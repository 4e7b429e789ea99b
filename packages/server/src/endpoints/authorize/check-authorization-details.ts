import { parseAuthorizationDetails } from '../../checks/authorization-details.ts';
import type { AuthorizationCheck } from './check.ts';

/**
 * RFC 9396 §2 / §5: authorization_details, when sent, is a JSON array of objects whose `type`
 * the server is configured for (invalid_authorization_details otherwise). They are shown on the
 * consent page, recorded on the grant and copied into the tokens.
 */
export const checkAuthorizationDetails: AuthorizationCheck = ({ ctx, params }, request) => {
  request.authorizationDetails = parseAuthorizationDetails(params.get('authorization_details'), ctx.config.authorizationDetailsTypes);
};
