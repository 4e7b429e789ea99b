/**
 * `client_secret_post` (RFC 6749 §2.3.1): `client_id` and `client_secret` in the request body.
 * The specification discourages it next to Basic but permits it; the client's registration says
 * which one it uses.
 */
import { InvalidRequestError } from '@mandate/protocol';
import type { Params } from '../../http/params.ts';

export interface PostCredentials {
  clientId: string;
  clientSecret: string;
}

export function readPostCredentials(params: Params): PostCredentials | null {
  const clientSecret = params.get('client_secret');
  if (clientSecret === undefined) return null;
  const clientId = params.get('client_id');
  if (clientId === undefined) throw new InvalidRequestError('The client_id parameter is required with client_secret (RFC 6749 §2.3.1).');
  return { clientId, clientSecret };
}
