/**
 * `client_secret_basic` (RFC 6749 §2.3.1): HTTP Basic authentication where the client id and the
 * secret are each application/x-www-form-urlencoded before being joined with ":" and base64
 * encoded. A Basic header that cannot be decoded that way is a failed authentication (401), and
 * the caller adds the `WWW-Authenticate: Basic` challenge (RFC 6749 §5.2).
 */
import { InvalidClientError } from '@mandate/protocol';

export interface BasicCredentials {
  clientId: string;
  clientSecret: string;
}

/** Long enough for a URL client id and a generated secret, short enough to bound work on garbage. */
const MAX_BASIC_LENGTH = 4096;
/** Fatal: credentials that are not UTF-8 are malformed. Stateless between calls, so one serves every request. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** True when the request tried HTTP Basic, well-formed or not (to decide on the challenge). */
export function triedBasic(authorization: string | undefined): boolean {
  return authorization !== undefined && /^basic(\s|$)/i.test(authorization.trimStart());
}

/** Returns null when there is no Basic Authorization header; throws invalid_client when it is malformed. */
export function parseBasicAuthorization(authorization: string | undefined): BasicCredentials | null {
  if (!triedBasic(authorization)) return null;
  const malformed = (why: string): InvalidClientError =>
    new InvalidClientError(`The Authorization header is not valid HTTP Basic client authentication: ${why} (RFC 6749 §2.3.1).`);
  const value = (authorization as string).trim();
  if (value.length > MAX_BASIC_LENGTH) throw malformed('it is too long');
  const match = /^basic +([A-Za-z0-9+/]+={0,2})$/i.exec(value);
  if (!match || (match[1] as string).length % 4 !== 0) throw malformed('the credentials are not base64');
  let decoded: string;
  try {
    decoded = UTF8.decode(Buffer.from(match[1] as string, 'base64'));
  } catch {
    throw malformed('the credentials are not UTF-8');
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) throw malformed('the credentials have no ":" between client id and secret');
  const clientId = formDecode(decoded.slice(0, colon));
  const clientSecret = formDecode(decoded.slice(colon + 1));
  if (clientId === null || clientSecret === null) throw malformed('the client id or secret is not form-urlencoded');
  if (clientId === '' || clientSecret === '') throw malformed('the client id or secret is empty');
  return { clientId, clientSecret };
}

/** application/x-www-form-urlencoded decoding of one value: "+" is a space, then %XX sequences. */
function formDecode(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}
