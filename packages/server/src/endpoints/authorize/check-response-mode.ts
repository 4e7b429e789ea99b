import { InvalidRequestError } from '@mandate/protocol';
import type { AuthorizationCheck } from './check.ts';

/**
 * OAuth 2.0 Multiple Response Type Encoding Practices §2.1: the code is returned in the query of
 * the redirect URI. Fragment and form_post modes are not offered (authorization server metadata
 * advertises `response_modes_supported: ["query"]`).
 */
export const checkResponseMode: AuthorizationCheck = ({ params }, request) => {
  const mode = params.get('response_mode');
  if (mode !== undefined && mode !== 'query') {
    throw new InvalidRequestError(`The response_mode '${mode.slice(0, 40)}' is not supported; only 'query' is.`);
  }
  request.responseMode = 'query';
};
