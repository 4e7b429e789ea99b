/**
 * The agent's public keys as a jose key set, kept between requests: importing a JWK into a
 * CryptoKey costs about as much as a verification, and an agent presents an actor token on every
 * hop. An entry is rebuilt when the agent's registered JWK Set changes; the cache is bounded.
 */
import { createLocalJWKSet, type JWK } from 'jose';
import type { AgentRecord } from '../../storage/records.ts';

type KeySet = ReturnType<typeof createLocalJWKSet>;

const MAX_ENTRIES = 1000;
const cache = new Map<string, { jwks: string; keySet: KeySet }>();

export function agentKeySet(agent: AgentRecord & { jwks: { keys: Record<string, unknown>[] } }): KeySet {
  const jwks = JSON.stringify(agent.jwks);
  const hit = cache.get(agent.id);
  if (hit && hit.jwks === jwks) return hit.keySet;
  const keySet = createLocalJWKSet({ keys: agent.jwks.keys as JWK[] });
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(agent.id, { jwks, keySet });
  return keySet;
}
