/**
 * RFC 9126 §4: an authorization request by reference to a pushed request. The request_uri is
 * single use and short-lived; it belongs to the client that pushed it; and only the pushed
 * parameters count — anything else on the query string is ignored. The pushed request was
 * validated when it was pushed (endpoints/par.ts), including its redirect URI.
 */
import { PAR_REQUEST_URI_PREFIX, InvalidRequestUriError } from '@mandate/protocol';
import type { ServerContext } from '../../context.ts';
import type { ClientRecord } from '../../storage/records.ts';
import { parseStoredRequest, type AuthorizationRequest } from './request.ts';

export async function loadPushedRequest(ctx: ServerContext, client: ClientRecord, requestUri: string): Promise<AuthorizationRequest> {
  if (!requestUri.startsWith(PAR_REQUEST_URI_PREFIX) || requestUri.length === PAR_REQUEST_URI_PREFIX.length) {
    throw new InvalidRequestUriError('The request_uri was not issued by this authorization server.');
  }
  // Consumed only by the client that pushed it: another client's attempt neither burns it nor
  // learns that it exists (the same answer as an unknown, expired or used request_uri).
  const record = await ctx.storage.par.consume(requestUri.slice(PAR_REQUEST_URI_PREFIX.length), client.clientId, ctx.now());
  if (!record) throw new InvalidRequestUriError('The request_uri is unknown, expired or already used (RFC 9126 §4).');
  const request = parseStoredRequest(record.params);
  if (!request || request.clientId !== client.clientId) throw new InvalidRequestUriError('The pushed request cannot be used.');
  return { ...request, pushed: true, dpopJkt: request.dpopJkt ?? record.dpopJkt };
}
