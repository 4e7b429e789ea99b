/** Downstream tokens by RFC 8693 token exchange (PASS-1). */
export { createTokenExchanger, DownstreamTokenError, type ExchangeCredentials, type TokenExchanger, type TokenExchangerOptions } from './exchange.ts';
export { TokenCache, type CachedToken, type TokenCacheOptions } from './cache.ts';
