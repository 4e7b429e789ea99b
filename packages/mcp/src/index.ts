/**
 * @mandate/mcp — the resource-server SDK for MCP servers.
 */
export * from './core/types.ts';
export { createMandateMcp, type MandateMcp } from './core/create.ts';
export { DEFAULT_ACR_RANKING, type MandateMcpOptions } from './core/options.ts';
export type { RequestInfo } from './core/handler.ts';
export { wellKnownPath, metadataUrl, type ProtectedResourceMetadata } from './core/prm.ts';
export * from './core/errors.ts';
export { ScopeHierarchy } from './tools/scopes.ts';
export { IntrospectionRevocationSource } from './token/revocation.ts';
export { RevocationFeedSource, type RevocationFeedOptions } from './token/revocation-feed.ts';
export type { IntrospectionOptions } from './token/introspection.ts';
export { nodeMcpListener } from './adapters/node.ts';
export { expressMcp } from './adapters/express.ts';
export { honoMcp } from './adapters/hono.ts';
export { serveStdio, runStdioServer, type StdioOptions, type StdioSession } from './stdio/server.ts';
export { launchStdioServer, MandateStdioClientTransport, type LaunchOptions } from './stdio/launcher.ts';
export { HANDSHAKE_METHOD, handshakeMessage } from './stdio/handshake.ts';
// R4-B's modules (policy, shaping, audit, downstream) add their exports below.
export * from './policy/index.ts';
export * from './shaping/index.ts';
export * from './audit/index.ts';
export * from './downstream/index.ts';
