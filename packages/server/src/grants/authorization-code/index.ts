/**
 * The authorization code grant (RFC 6749 §4.1.3, RFC 7636 §4.5, OAuth 2.1 §4.1.3), read top to
 * bottom as a table of checks. The authorization endpoint stored the code (hashed) with its grant.
 */
import type { GrantHandler } from '../types.ts';
import { readCodeRequest } from './request.ts';
import { consumeCode } from './consume.ts';
import { checkCodeClient, checkCodeExpiry, checkRedirectUri, checkRedirectUriRepeated } from './checks.ts';
import { checkPkce } from './pkce.ts';
import { issueFromCode } from './issue.ts';
import { checkKeyBinding } from '../shared/dpop.ts';
import { checkGrantActive, checkUserActive } from '../shared/liveness.ts';
import { narrowGrant } from '../shared/narrow.ts';

export const authorizationCodeGrant: GrantHandler = async (req) => {
  // RFC 6749 §4.1.3, RFC 7636 §4.5: syntax first (scope, resource, authorization_details too), nothing consumed yet
  const request = readCodeRequest(req.params, req.client, req.ctx.config);
  const code = await consumeCode(req, request.code); // single use; a replay revokes the grant (RFC 6749 §4.1.2)
  checkCodeClient(req.client, code); // RFC 6749 §4.1.3: issued to this client
  checkCodeExpiry(code, req.ctx.now()); // RFC 6749 §4.1.2: short-lived
  checkRedirectUriRepeated(code, request.redirectUriSent); // RFC 6749 §4.1.3: repeated when /authorize had it
  checkRedirectUri(code, request.redirectUri); // RFC 6749 §4.1.3: identical redirect_uri
  checkPkce(code, request.codeVerifier); // RFC 7636 §4.6: S256(verifier) == challenge
  checkKeyBinding(req.dpop, code.dpopJkt, 'authorization code'); // RFC 9449 §10: dpop_jkt
  await checkGrantActive(req.ctx, code.grantId); // revoked consent or grant: no tokens
  await checkUserActive(req.ctx, code.userId); // disabled users get no tokens
  const narrowed = narrowGrant(req.params, code, req.ctx.config); // within the grant: scope, RFC 8707 §2.2 resource, RFC 9396 §6.1
  return issueFromCode(req, code, narrowed);
};
