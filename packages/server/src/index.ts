export { createServer, createLogger, type MandateServer } from './server.ts';
export { loadConfig, ConfigError } from './config/load.ts';
export { ConfigSchema, type MandateConfig, type MandateConfigInput } from './config/config.ts';
export type { ServerContext } from './context.ts';
export type { Storage } from './storage/storage.ts';
export * from './storage/records.ts';
