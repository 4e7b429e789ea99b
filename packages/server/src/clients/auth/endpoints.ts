/** The endpoints that authenticate clients, and the URL each is reached at. */
import { endpointUrl, Paths } from '../../endpoints/paths.ts';

export type ClientEndpoint = 'token' | 'par' | 'introspection' | 'revocation' | 'audit' | 'revocationFeed';

const PATHS: Record<ClientEndpoint, string> = {
  token: Paths.token,
  par: Paths.par,
  introspection: Paths.introspection,
  revocation: Paths.revocation,
  audit: Paths.auditEvents,
  revocationFeed: Paths.revocationFeed,
};

export function clientEndpointUrl(issuer: string, endpoint: ClientEndpoint): string {
  return endpointUrl(issuer, PATHS[endpoint]);
}
