/**
 * createMandateMcp: assembles the token validation, tool authorization and MCP serving from
 * the options, and exposes a runtime-neutral `fetch(Request) → Response` for the adapters.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { DEFAULT_ACR_RANKING, type MandateMcpOptions } from './options.ts';
import { handle, type HandlerSettings, type RequestInfo } from './handler.ts';
import { authenticate, type Authenticator, type IncomingCredentials } from './authenticate.ts';
import { wwwAuthenticate, type ChallengeSettings } from './challenge.ts';
import { metadataUrl, protectedResourceMetadata, wellKnownPath, type ProtectedResourceMetadata } from './prm.ts';
import { buildServer, type SessionSettings } from './session.ts';
import type { ResourceServerError } from './errors.ts';
import type { AuthContext, MandateHooks, RevocationSource } from './types.ts';
import { MetadataCache } from '../token/discovery.ts';
import { JwksCache } from '../token/jwks.ts';
import { DEFAULT_ALGORITHMS } from '../token/jwt.ts';
import { Introspector } from '../token/introspection.ts';
import { IntrospectionRevocationSource } from '../token/revocation.ts';
import { RevocationFeedSource } from '../token/revocation-feed.ts';
import { ReplayCache } from '../token/replay-cache.ts';
import { AuthFailureCoalescer } from '../audit/auth-failure-coalescer.ts';
import { VerifiedTokenCache } from '../token/verified-cache.ts';
import { DpopNonces } from '../token/dpop-nonce.ts';
import { ScopeHierarchy } from '../tools/scopes.ts';

export interface MandateMcp {
  /** The runtime-neutral entry point: every adapter ends here. */
  fetch(request: Request, info?: RequestInfo): Promise<Response>;
  readonly resource: string;
  readonly mcpPath: string;
  /** The path-inserted well-known path of the metadata (RFC 9728 §3.1). */
  readonly metadataPath: string;
  readonly metadataUrl: string;
  readonly metadata: ProtectedResourceMetadata;
  /** Verifies a token outside HTTP (stdio handshake): JWKS/introspection, iss, aud, exp, revocation. */
  verifyToken(token: string): Promise<AuthContext>;
  /** Builds the McpServer this caller sees (stdio mode). */
  serverFor(auth: AuthContext): Promise<McpServer>;
  /** JWKS fetch count (observability). */
  readonly jwks: JwksCache;
  readonly hooks: MandateHooks;
  /** The revocation source in use, if any. */
  readonly revocation: RevocationSource | undefined;
  close(): Promise<void>;
}

function scopesOfTools(o: MandateMcpOptions): string[] {
  const all = new Set<string>();
  for (const t of o.tools) for (const s of t.policy?.requiredScopes ?? []) all.add(s);
  return [...all];
}

function canonical(resource: string): string {
  const u = new URL(resource);
  if (u.hash !== '' || u.search !== '') throw new Error('the resource URI must have no query or fragment (RFC 8707 §2)');
  return resource;
}

export function createMandateMcp(o: MandateMcpOptions): MandateMcp {
  const resource = canonical(o.resource);
  const now = o.now ?? (() => Math.floor(Date.now() / 1000));
  const fetchImpl = o.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init));
  const timeout = o.httpTimeoutMs ?? 5000;
  const metadataCache = new MetadataCache(o.issuer, fetchImpl, timeout);
  const jwks = new JwksCache(metadataCache, fetchImpl, { cooldownMs: o.jwks?.cooldownMs ?? 5_000, maxAgeMs: o.jwks?.maxAgeMs ?? 600_000, timeoutMs: timeout });
  const introspector = o.introspection ? new Introspector(o.introspection, metadataCache, fetchImpl, timeout, now) : undefined;
  if (o.tokenMode === 'introspection' && !introspector) throw new Error('tokenMode "introspection" needs the introspection option');
  let revocation: RevocationSource | undefined;
  if (o.revocation === 'introspection') {
    if (!introspector) throw new Error('revocation "introspection" needs the introspection option');
    revocation = new IntrospectionRevocationSource(introspector);
  } else if (o.revocation !== undefined && 'feed' in o.revocation) {
    revocation = new RevocationFeedSource(o.revocation.feed, o.issuer, jwks, fetchImpl, timeout, now, o.leewaySeconds ?? 30);
  } else revocation = o.revocation;
  const dpopAlgs = o.dpop ? (o.dpop.algs ?? ['ES256', 'EdDSA', 'RS256', 'PS256']) : undefined;
  const nonces = o.dpop?.nonce ? new DpopNonces() : undefined;
  const scopes = o.scopesSupported ?? scopesOfTools(o);
  const mcpPath = o.mcpPath ?? (new URL(resource).pathname || '/');
  const challenge: ChallengeSettings = { resourceMetadataUrl: metadataUrl(resource), defaultScope: (o.challengeScope ?? scopes).filter((s) => s !== 'offline_access'), dpopAlgs, dpopRequired: o.dpop?.required ?? false };
  const authenticator: Authenticator = {
    jwks,
    jwt: { issuer: o.issuer, resource, algorithms: o.algorithms ?? DEFAULT_ALGORITHMS, leewaySeconds: o.leewaySeconds ?? 30, audience: o.audience ?? 'exact', now, cache: new VerifiedTokenCache(o.verifiedTokenCache?.maxEntries, o.verifiedTokenCache?.maxAgeSeconds) },
    identity: { userClaims: o.userClaims ?? ['on_behalf_of'], agentClaim: o.agentClaim ?? 'agent_id', clientTrust: o.clientTrust ?? (() => 'standard') },
    mode: o.tokenMode ?? 'jwt',
    introspector,
    revocation,
    dpop: o.dpop && dpopAlgs ? { algs: dpopAlgs, iatWindowSeconds: o.dpop.iatWindowSeconds ?? 60, replay: new ReplayCache(o.dpop.replayCache), nonces, now, required: o.dpop.required ?? false } : undefined,
    maxHeaderBytes: o.maxHeaderBytes ?? 8192,
  };
  const hooks = o.hooks ?? {};
  const session: SessionSettings = {
    serverInfo: o.serverInfo,
    tools: o.tools,
    authorizer: {
      hierarchy: new ScopeHierarchy(o.scopeHierarchy),
      acrRanking: o.acrRanking ?? DEFAULT_ACR_RANKING,
      policy: hooks.policy,
      now,
      challenge: (error: ResourceServerError, auth: AuthContext) => wwwAuthenticate(error, challenge, auth.tokenType),
    },
    hooks,
    resource,
    now,
    configure: o.configure,
    revocation,
  };
  const metadata = protectedResourceMetadata({ resource, issuer: o.issuer, scopes, name: o.serverInfo.name, dpopAlgs, dpopRequired: o.dpop?.required ?? false });
  const settings: HandlerSettings = { origin: new URL(resource).origin, mcpPath, prmPath: wellKnownPath(resource), metadata, challenge, authenticator, session, nonces, maxBodyBytes: o.maxBodyBytes ?? 1024 * 1024, authFailures: new AuthFailureCoalescer(o.authFailureAudit), capacityReport: { next: 0 }, now };
  return {
    fetch: (request, info) => handle(settings, request, info),
    resource,
    mcpPath,
    metadataPath: settings.prmPath,
    metadataUrl: challenge.resourceMetadataUrl,
    metadata,
    verifyToken: (token) => {
      // Outside HTTP there is no DPoP proof to check: a bound token cannot be used here.
      const creds: IncomingCredentials = { method: 'POST', url: resource, authorization: `Bearer ${token}`, dpop: null };
      return authenticate(authenticator, creds);
    },
    serverFor: (auth) => buildServer(session, auth, undefined, new Map()),
    jwks,
    hooks,
    revocation,
    async close() {
      revocation?.close?.();
      await hooks.audit?.flush?.();
    },
  };
}
