/**
 * The one place a client_id becomes a client: a stored registration (static configuration, admin
 * API, dynamic registration) or, for URL client_ids, a Client ID Metadata Document (AS-6, CL-6).
 *
 * Stored clients win: an https client_id that an admin registered explicitly is used as stored and
 * never fetched (MCP C-3: pre-registration comes first). CIMD clients are never written to the
 * clients table; their documents live in the HTTP cache (storage.cimdCache).
 */
import type { Logger } from 'pino';
import type { MandateConfig } from '../config/config.ts';
import type { ClientRegistry } from '../context.ts';
import type { Storage } from '../storage/storage.ts';
import type { ClientRecord } from '../storage/records.ts';
import { isCimdClientId } from './cimd/client-id-url.ts';
import { createCimdResolver } from './cimd/resolve.ts';

export function createClientRegistry(opts: { config: MandateConfig; storage: Storage; logger: Logger; now: () => number }): ClientRegistry {
  const cimd = createCimdResolver(opts);
  return {
    async get(clientId: string): Promise<ClientRecord | null> {
      const stored = await opts.storage.clients.get(clientId);
      if (stored) return stored;
      if (isCimdClientId(clientId, opts.config.cimd)) return cimd.resolve(clientId);
      return null;
    },
  };
}
