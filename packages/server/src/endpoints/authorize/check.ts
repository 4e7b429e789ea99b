/**
 * The shape of one step of the authorization request pipeline (node-oidc-provider style: one
 * protocol check per file). A check reads the raw parameters, refuses with the RFC's error class,
 * and writes the normalized value into the request being built.
 */
import type { ServerContext } from '../../context.ts';
import type { Params } from '../../http/params.ts';
import type { ClientRecord } from '../../storage/records.ts';
import type { AuthorizationRequest } from './request.ts';

export interface CheckInput {
  ctx: ServerContext;
  client: ClientRecord;
  params: Params;
}

export type AuthorizationCheck = (input: CheckInput, request: AuthorizationRequest) => void | Promise<void>;
