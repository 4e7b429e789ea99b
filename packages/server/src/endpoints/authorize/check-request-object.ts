import { RequestNotSupportedError } from '@mandate/protocol';
import type { AuthorizationCheck } from './check.ts';

/**
 * OIDC Core §6 / RFC 9101: request objects (JAR) are not supported; OIDC Core §3.1.2.6 names the
 * error. Pushed authorization requests (RFC 9126) are how a client sends its parameters out of band.
 */
export const checkRequestObject: AuthorizationCheck = ({ params }) => {
  if (params.has('request')) {
    throw new RequestNotSupportedError('The request parameter (JWT-secured authorization request) is not supported; use pushed authorization requests (RFC 9126).');
  }
};
