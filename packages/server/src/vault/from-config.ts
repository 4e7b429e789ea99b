/**
 * The server's one TokenVault (ctx.vault), built from the configuration: the KEKs of
 * `vaultKeys` (MANDATE_SECRET_KEY, or vault.keyFile) and the SSRF-safe provider fetch with the
 * development allowance of federation.devAllowedHosts (refused in production).
 */
import type { MandateConfig } from '../config/config.ts';
import type { Storage } from '../storage/storage.ts';
import { vaultKeys } from './kek.ts';
import { providerFetch } from './outbound.ts';
import { TokenVault } from './service.ts';

export function createTokenVault(config: MandateConfig, storage: Storage, now: () => number): TokenVault {
  return new TokenVault({ storage, keys: vaultKeys(config), fetch: providerFetch(config.federation.devAllowedHosts), now });
}
