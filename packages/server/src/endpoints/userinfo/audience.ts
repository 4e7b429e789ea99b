/**
 * RFC 9068 §4 / RFC 8707 §2: a resource server accepts an access token only when its `aud` names
 * that resource server. UserInfo is a resource of this server, which identifies itself by its
 * issuer (tokens/access-token.ts defaultAudience, TOK-2): a token obtained for another resource
 * (an MCP server) is refused here, as the admin API refuses it (admin/auth.ts). A client that
 * wants both asks for `resource=<issuer>` besides the other resources, or omits `resource`.
 */
import type { JWTPayload } from 'jose';
import { InvalidTokenError } from '@mandate/protocol';
import { audiencesOf } from '../../grants/token-exchange/subject-claims.ts';

export function checkUserinfoAudience(payload: JWTPayload, issuer: string): void {
  if (!audiencesOf(payload).includes(issuer)) {
    throw new InvalidTokenError('The access token was not issued for this server: its audience does not include the issuer (RFC 9068 §4).');
  }
}
