/**
 * draft-ietf-oauth-identity-assertion-authz-grant §4.3: the ID-JAG's `client_id` claim "MUST
 * identify the same client" that authenticated to this token endpoint — an ID-JAG stolen from
 * one client is useless to another. The trusted issuer's policy must also name that client: an
 * issuer is trusted for some of our clients, with a scope ceiling per client, not for all.
 */
import { InvalidGrantError, UnauthorizedClientError } from '@mandate/protocol';
import type { JWTPayload } from 'jose';
import type { ClientRecord } from '../../storage/records.ts';
import type { IdJagClientPolicy, IdJagIssuer } from '../../federation/schema.ts';

/**
 * The `client_id` binding means something only if the client proves who it is: a public client
 * (`none`) could claim any client_id. ID-JAGs are therefore accepted from confidential clients only
 * (RFC 6749 §5.2 unauthorized_client).
 */
export function checkIdJagClientAuthenticated(client: ClientRecord): void {
  if (client.tokenEndpointAuthMethod === 'none') {
    throw new UnauthorizedClientError('ID-JAGs are accepted from authenticated (confidential) clients only: authenticate with a secret or private_key_jwt.');
  }
}

export function idJagClientPolicy(issuer: IdJagIssuer, payload: JWTPayload, client: ClientRecord): IdJagClientPolicy {
  const claimed = payload.client_id;
  if (typeof claimed !== 'string' || claimed !== client.clientId) {
    throw new InvalidGrantError('The ID-JAG "client_id" claim does not identify the authenticated client (draft-ietf-oauth-identity-assertion-authz-grant §4.3).');
  }
  const policy = issuer.clients.find((p) => p.clientId === client.clientId);
  if (!policy) throw new InvalidGrantError(`The client '${client.clientId}' may not present ID-JAGs of the issuer ${issuer.issuer}.`);
  return policy;
}
