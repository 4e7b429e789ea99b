import { InvalidRequestError, UnauthorizedClientError, UnsupportedResponseTypeError } from '@mandate/protocol';
import type { AuthorizationCheck } from './check.ts';

/**
 * OAuth 2.1 §4.1.1: the authorization code is the only response type (no implicit, no hybrid).
 * RFC 7591 §2: a client registered without `code` among its response types, or without the
 * authorization_code grant, may not use this endpoint.
 */
export const checkResponseType: AuthorizationCheck = ({ client, params }, request) => {
  const responseType = params.get('response_type');
  if (responseType === undefined) throw new InvalidRequestError('The response_type parameter is required (RFC 6749 §4.1.1).');
  if (responseType !== 'code') {
    throw new UnsupportedResponseTypeError(`The response_type '${responseType.slice(0, 40)}' is not supported; only 'code' is (OAuth 2.1 §4.1.1).`);
  }
  // RFC 7591 §2: absent grant_types / response_types default to authorization_code / code.
  if (client.responseTypes.length > 0 && !client.responseTypes.includes('code')) {
    throw new UnauthorizedClientError('The client is not registered for the code response type.');
  }
  if (client.grantTypes.length > 0 && !client.grantTypes.includes('authorization_code')) {
    throw new UnauthorizedClientError('The client is not registered for the authorization_code grant.');
  }
  request.responseType = 'code';
};
