/**
 * Resolves a URL client_id to the client its metadata document describes (AS-6, CL-6):
 *
 *   1. the URL is a valid CIMD client identifier          client-id-url.ts
 *   2. the admin allowlist admits it (CL-3)                allowlist.ts
 *   3. a fresh cached copy is used as is                   storage.cimdCache
 *   4. otherwise it is fetched (conditionally, If-None-Match, when a copy with an ETag exists)
 *      with SSRF protection                                ../ssrf-fetch.ts
 *   5. the document is checked and converted               document.ts
 *   6. the copy is stored for as long as HTTP caching allows  cache-policy.ts
 *
 * Failures are invalid_client with a description naming the reason; the log gets the detail.
 * An expired copy that cannot be refreshed is not used (see cache-policy.ts).
 */
import { InvalidClientError } from '@mandate/protocol';
import type { Logger } from 'pino';
import type { MandateConfig } from '../../config/config.ts';
import type { Storage } from '../../storage/storage.ts';
import type { CimdCacheRecord, ClientRecord } from '../../storage/records.ts';
import { OutboundFetchError, safeFetch, type OutboundFetchErrorCode, type SafeFetchResponse } from '../ssrf-fetch.ts';
import { checkClientIdUrl } from './client-id-url.ts';
import { isAllowedByPatterns } from './allowlist.ts';
import { cacheDecision, revalidationDecision } from './cache-policy.ts';
import { documentToClient, parseDocument } from './document.ts';

export interface CimdResolverDeps {
  config: MandateConfig;
  storage: Storage;
  logger: Logger;
  now: () => number;
}

export interface CimdResolver {
  resolve(clientId: string): Promise<ClientRecord>;
}

function fetchFailure(clientId: string, code: OutboundFetchErrorCode, config: MandateConfig): string {
  const reasons: Record<OutboundFetchErrorCode, string> = {
    ERR_URL_INVALID: 'the URL is not valid',
    ERR_URL_SCHEME: 'only https URLs are fetched',
    ERR_DNS: 'its host name could not be resolved',
    ERR_ADDRESS_REFUSED: 'its host resolves to a private, loopback, link-local or otherwise non-public address, which is refused (SSRF protection)',
    ERR_REDIRECT: 'the server answered with a redirect, and redirects are not followed',
    ERR_TIMEOUT: `the server did not answer completely within ${config.cimd.timeoutMs} ms`,
    ERR_TOO_LARGE: `the document is larger than ${config.cimd.maxBytes} bytes`,
    ERR_NETWORK: 'the document is unreachable',
  };
  return `The Client ID Metadata Document at ${clientId} could not be fetched: ${reasons[code]}.`;
}

function isJsonContentType(value: string | undefined): boolean {
  const type = (value ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

export function createCimdResolver(deps: CimdResolverDeps): CimdResolver {
  const { config, storage, logger, now } = deps;
  // Concurrent requests for one client_id share one fetch.
  const inflight = new Map<string, Promise<ClientRecord>>();

  async function fetchDocument(clientId: string, cached: CimdCacheRecord | null): Promise<SafeFetchResponse> {
    try {
      return await safeFetch(clientId, {
        timeoutMs: config.cimd.timeoutMs,
        maxBytes: config.cimd.maxBytes,
        devAllowedHosts: config.cimd.devAllowedHosts,
        headers: { accept: 'application/json', ...(cached?.etag ? { 'if-none-match': cached.etag } : {}) },
      });
    } catch (err) {
      if (!(err instanceof OutboundFetchError)) throw err;
      logger.warn({ clientId, code: err.code, detail: err.message }, 'client id metadata document fetch failed');
      throw new InvalidClientError(fetchFailure(clientId, err.code, config), { detail: err.message });
    }
  }

  async function refresh(clientId: string, cached: CimdCacheRecord | null): Promise<ClientRecord> {
    const res = await fetchDocument(clientId, cached);
    const t = now();
    if (res.status === 304 && cached?.etag) {
      // RFC 9111 §4.3.4: a 304 freshens the stored response with the new headers.
      const client = documentToClient(clientId, cached.document, config, t);
      const revalidated = revalidationDecision(res.headers, cached, t);
      if (revalidated.store) await storage.cimdCache.put({ ...cached, fetchedAt: t, expiresAt: t + revalidated.lifetime });
      return client;
    }
    const decision = cacheDecision(res.headers, t);
    if (res.status !== 200) {
      logger.warn({ clientId, status: res.status }, 'client id metadata document: unexpected status');
      throw new InvalidClientError(`The Client ID Metadata Document at ${clientId} could not be fetched: the server answered HTTP ${res.status}.`);
    }
    const contentType = Array.isArray(res.headers['content-type']) ? res.headers['content-type'][0] : res.headers['content-type'];
    if (!isJsonContentType(contentType)) {
      throw new InvalidClientError(`The Client ID Metadata Document at ${clientId} is not acceptable: its content type is ${JSON.stringify(contentType ?? '(none)')}, not application/json.`);
    }
    const document = parseDocument(clientId, res.body);
    const client = documentToClient(clientId, document, config, t);
    if (decision.store) {
      const etag = typeof res.headers.etag === 'string' ? res.headers.etag : null;
      await storage.cimdCache.put({ url: clientId, document, etag, fetchedAt: t, expiresAt: t + decision.lifetime });
    }
    return client;
  }

  async function resolveUncached(clientId: string): Promise<ClientRecord> {
    checkClientIdUrl(clientId, config.cimd);
    if (!isAllowedByPatterns(clientId, config.cimd.allowedUrlPatterns)) {
      throw new InvalidClientError(`The client_id ${clientId} is not allowed by this server's Client ID Metadata Document URL allowlist.`);
    }
    const cached = await storage.cimdCache.get(clientId);
    if (cached && cached.expiresAt > now()) return documentToClient(clientId, cached.document, config, cached.fetchedAt);
    return refresh(clientId, cached);
  }

  return {
    resolve(clientId: string): Promise<ClientRecord> {
      const pending = inflight.get(clientId);
      if (pending) return pending;
      const work = resolveUncached(clientId).finally(() => inflight.delete(clientId));
      inflight.set(clientId, work);
      return work;
    },
  };
}
