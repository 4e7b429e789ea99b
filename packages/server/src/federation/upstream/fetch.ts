/**
 * The fetch openid-client uses to talk to upstream providers (discovery, JWKS, token, UserInfo),
 * under the same SSRF rules as every other outbound request (clients/ssrf-fetch.ts, AS-6): https
 * only, every resolved address public and the socket pinned to it, no redirects, one deadline,
 * a body limit. The development allowance (federation.devAllowedHosts) admits loopback http
 * providers in tests. clients/ssrf-fetch.ts only does GETs; the token endpoint needs a POST.
 *
 * Every URL fetched here comes from the operator: upstream IdPs and their discovery documents
 * (config), vault providers (admin API). So host names go to the system resolver, which applies
 * resolv.conf search domains and /etc/hosts (Kubernetes short names such as `keycloak.auth`);
 * c-ares does neither (clients/dns-resolve.ts). The all-addresses-public vetting is unchanged.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { CustomFetch } from 'openid-client';
import { resolveWithSystem, type ResolveAddresses } from '../../clients/dns-resolve.ts';
import { OutboundFetchError, isDevAllowedHost, pinnedLookup, raceDeadline, readLimited, resolveVettedAddresses } from '../../clients/ssrf-fetch.ts';

export interface UpstreamFetchOptions {
  devAllowedHosts: readonly string[];
  timeoutMs: number;
  maxBytes: number;
  /** Tests only; the default is the system resolver. */
  resolve?: ResolveAddresses;
}

async function bodyBytes(body: unknown): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(new Uint8Array(body));
  // openid-client sends forms and JSON only; a stream would be a new, unreviewed use.
  throw new OutboundFetchError('ERR_URL_INVALID', 'Unsupported request body.');
}

function toResponse(res: IncomingMessage, body: Buffer): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
  }
  const status = res.statusCode ?? 502;
  return new Response(status === 204 || status === 304 ? null : new Uint8Array(body), { status, headers });
}

export function upstreamFetch(options: UpstreamFetchOptions): CustomFetch {
  return async (rawUrl, init) => {
    const url = new URL(rawUrl);
    const devAllowed = isDevAllowedHost(url, options.devAllowedHosts);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && devAllowed)) throw new OutboundFetchError('ERR_URL_SCHEME', 'Only https URLs may be fetched.');
    if (url.username || url.password) throw new OutboundFetchError('ERR_URL_INVALID', 'The URL must not contain credentials.');
    const deadline = AbortSignal.any([AbortSignal.timeout(options.timeoutMs), ...(init.signal ? [init.signal] : [])]);
    const timedOut = () => new OutboundFetchError('ERR_TIMEOUT', 'The request to the identity provider failed.');
    // The deadline covers resolution too: getaddrinfo has no timeout of its own we control.
    const vetted = await raceDeadline(resolveVettedAddresses(url, devAllowed, options.resolve ?? resolveWithSystem), deadline, timedOut);
    const body = await bodyBytes(init.body);
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        // The deadline wins over readLimited's 'aborted' report, which the same abort also causes.
        if (deadline.aborted) reject(timedOut());
        else reject(err instanceof OutboundFetchError ? err : new OutboundFetchError('ERR_NETWORK', 'The request to the identity provider failed.'));
      };
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, {
        method: init.method,
        headers: { 'user-agent': 'Mandate', ...init.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        lookup: pinnedLookup(vetted),
        signal: deadline,
        agent: false, // a pooled socket could outlive the address check
      });
      req.on('error', fail);
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && status !== 304) {
          res.destroy();
          return fail(new OutboundFetchError('ERR_REDIRECT', `The identity provider answered ${status}; redirects are not followed.`));
        }
        readLimited(res, options.maxBytes, fail, (received) => {
          if (settled) return;
          settled = true;
          resolve(toResponse(res, received));
        });
      });
      req.end(body);
    });
  };
}
