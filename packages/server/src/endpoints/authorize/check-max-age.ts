import { InvalidRequestError } from '@mandate/protocol';
import type { AuthorizationCheck } from './check.ts';

/**
 * OIDC Core §3.1.2.1: max_age is the allowable elapsed time in seconds since the user last
 * actively authenticated; when exceeded the user authenticates again and auth_time is returned.
 */
export const checkMaxAge: AuthorizationCheck = ({ params }, request) => {
  const raw = params.get('max_age');
  if (raw === undefined) return;
  if (!/^\d{1,10}$/.test(raw)) throw new InvalidRequestError('The max_age parameter must be a non-negative integer number of seconds.');
  request.maxAge = Number(raw);
};
