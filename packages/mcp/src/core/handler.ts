/**
 * The runtime-neutral HTTP front: a Fetch-API Request in, a Response out. Routes:
 *   GET /.well-known/oauth-protected-resource/<path>   RFC 9728 metadata (PRM-1, PRM-2)
 *   POST|GET|DELETE <mcp path>                          authenticate → authorize tool calls → MCP
 * Errors become the RFC 6750 / 9449 / 9470 status and challenge (ERR-1); never a 500 for bad input.
 */
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { DpopCapacityError, ResourceServerError } from './errors.ts';
import { wwwAuthenticate, type ChallengeSettings } from './challenge.ts';
import { authenticate, type Authenticator } from './authenticate.ts';
import { readJsonRpc, refuseDeclaredOversize, rpcError, toolCallOf, RPC_FORBIDDEN, RPC_UNAUTHORIZED, type RpcMessage, type ToolCall } from './jsonrpc.ts';
import { auditEvent, auditReasonOf, buildServer, type DecidedCall, type SessionSettings } from './session.ts';
import { authorizeTool } from '../tools/authorize.ts';
import { parseToolArguments } from '../tools/arguments.ts';
import type { ProtectedResourceMetadata } from './prm.ts';
import type { DpopNonces } from '../token/dpop-nonce.ts';
import type { AuthContext } from './types.ts';
import { auditAuthFailure, auditToolsList, recordToolCall } from '../audit/events.ts';
import type { AuthFailureCoalescer } from '../audit/auth-failure-coalescer.ts';
import { callSafely } from './ignore-rejection.ts';
import { onResourceOrigin } from './resource-url.ts';

export interface HandlerSettings {
  /** The origin of the resource (its canonical URI), computed once. */
  origin: string;
  mcpPath: string;
  prmPath: string;
  metadata: ProtectedResourceMetadata;
  challenge: ChallengeSettings;
  authenticator: Authenticator;
  session: SessionSettings;
  nonces: DpopNonces | undefined;
  maxBodyBytes: number;
  /** Like authentication refusals recorded once per interval (audit amplification). */
  authFailures: AuthFailureCoalescer;
  /** When a full DPoP replay cache may next be reported to hooks.onError (epoch seconds). */
  capacityReport: { next: number };
  now: () => number;
}

export interface RequestInfo {
  /** The client address, for audit (adapters fill it). */
  ip?: string;
}

function json(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers } });
}

function errorResponse(h: HandlerSettings, err: ResourceServerError, scheme: 'Bearer' | 'DPoP' | undefined, id?: RpcMessage['id']): Response {
  const headers: Record<string, string> = {};
  if (err.status === 401 || err.status === 403) headers['www-authenticate'] = wwwAuthenticate(err, h.challenge, scheme);
  if (err.error === 'use_dpop_nonce' && h.nonces) headers['dpop-nonce'] = h.nonces.current(h.now());
  if (err.status === 503) headers['retry-after'] = '5';
  const body = err.error === '' ? { error: 'unauthorized', error_description: 'an access token is required' } : { error: err.error, error_description: err.message };
  if (id !== undefined) Object.assign(body, { jsonrpc: '2.0', id });
  return json(body, err.status, headers);
}

function schemeOf(req: Request): 'Bearer' | 'DPoP' | undefined {
  const a = req.headers.get('authorization')?.trim().split(' ')[0]?.toLowerCase();
  return a === 'dpop' ? 'DPoP' : a === 'bearer' ? 'Bearer' : undefined;
}

/** A JSON-RPC message of the body with its tools/call (name, raw arguments), if it is one. */
interface MessageCall {
  m: RpcMessage;
  call: ToolCall | undefined;
}

/**
 * Tool calls decided before the transport: a challenge or a denial answers the whole POST.
 * Each call is authorized on its arguments as the tool's schema parses them (what the handler
 * will get, tools/arguments.ts). Arguments the schema refuses are not authorized on: only the
 * checks that need no arguments run (so an unauthorized caller is still challenged), then the
 * SDK answers the invalid arguments and the handler never runs.
 */
async function decideToolCalls(h: HandlerSettings, auth: AuthContext, calls: MessageCall[], ip: string | undefined): Promise<{ decisions: Map<string | number, DecidedCall>; response?: Response }> {
  const decisions = new Map<string | number, DecidedCall>();
  for (const { m, call } of calls) {
    if (!call || m.id === undefined || m.id === null) continue;
    const tool = h.session.tools.find((t) => t.name === call.name);
    if (!tool) continue; // the MCP server answers "tool not found"
    const parsed = await parseToolArguments(tool, call.args);
    const d = parsed.ok ? await authorizeTool(h.session.authorizer, tool, auth, parsed.args, 'call') : await authorizeTool(h.session.authorizer, tool, auth, undefined, 'list');
    if (parsed.ok) decisions.set(m.id, { tool: tool.name, args: parsed.args, decision: d });
    if (d.kind === 'allow') continue;
    recordToolCall(h.session.hooks.audit, auditEvent(h.session, auth, tool.name, { decision: d.kind, reason: auditReasonOf(d), entity: d.resource }, { ip }));
    if (d.kind === 'challenge') {
      // MCP clients act on the HTTP status and WWW-Authenticate (step-up, STEP-1 / RFC 9470).
      const body = rpcError(m.id, d.status === 401 ? RPC_UNAUTHORIZED : RPC_FORBIDDEN, d.description, { error: d.error, scope: d.scope, acr_values: d.acrValues, max_age: d.maxAge });
      return { decisions, response: json(body, d.status, { 'www-authenticate': d.wwwAuthenticate }) };
    }
    return { decisions, response: json(rpcError(m.id, RPC_FORBIDDEN, `Forbidden: ${d.reason}`, { tool: tool.name, reason: d.reason, code: d.code }), 200) };
  }
  return { decisions };
}

async function serveMcp(h: HandlerSettings, req: Request, url: URL, info: RequestInfo): Promise<Response> {
  // A body declared too large is 413 at once, as from the adapters, before any token work.
  if (req.method === 'POST') refuseDeclaredOversize(req, h.maxBodyBytes);
  const auth = await authenticate(h.authenticator, { method: req.method, url: url.href, authorization: req.headers.get('authorization'), dpop: req.headers.get('dpop') });
  let parsedBody: unknown;
  let decisions = new Map<string | number, DecidedCall>();
  let onlyCalled: Set<string> | undefined;
  let lists = false;
  if (req.method === 'POST') {
    const { raw, messages } = await readJsonRpc(req, h.maxBodyBytes);
    parsedBody = raw;
    lists = messages.some((m) => m.method === 'tools/list');
    // Each message's tools/call params read once: what is authorized and what is registered agree.
    const calls = messages.map((m) => ({ m, call: toolCallOf(m) }));
    const decided = await decideToolCalls(h, auth, calls, info.ip);
    if (decided.response) return decided.response;
    decisions = decided.decisions;
    // A POST of tool calls only needs just the called tools (already authorized): no listing pass.
    const called = calls.map(({ call }) => call?.name);
    if (called.every((name) => name !== undefined)) onlyCalled = new Set(called);
  }
  // Stateless Streamable HTTP: a server and transport per request, built for this caller.
  const listed: string[] = [];
  const server = await buildServer(h.session, auth, info.ip, decisions, onlyCalled, listed);
  // AU-1: what the caller was shown (RS-3 filtering) is recorded like what it called.
  if (lists) auditToolsList(h.session, auth, listed, info.ip);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  const response = await transport.handleRequest(req, { parsedBody, authInfo: { token: auth.token, clientId: auth.clientId, scopes: auth.scopes, expiresAt: auth.expiresAt, resource: new URL(h.session.resource), extra: { mandate: auth } } });
  if (!h.nonces || auth.tokenType !== 'DPoP') return response;
  // RFC 9449 §9: hand out the current nonce on success too, so clients never fall a step behind.
  const headers = new Headers(response.headers);
  headers.set('dpop-nonce', h.nonces.current(h.now()));
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

function reportError(h: HandlerSettings, err: unknown, status: 401 | 500 | 503, path: string): void {
  const hook = h.session.hooks.onError;
  if (hook) callSafely(() => hook(err, { status, path }));
}

export async function handle(h: HandlerSettings, req: Request, info: RequestInfo = {}): Promise<Response> {
  // Routes and DPoP htu are checked on the resource's own origin, never the runtime's idea of the URL.
  const url = onResourceOrigin(h.origin, req.url);
  const path = url.pathname;
  try {
    if (path === h.prmPath) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return json({ error: 'invalid_request', error_description: 'use GET' }, 405, { allow: 'GET, HEAD' });
      return new Response(JSON.stringify(h.metadata), { headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' } });
    }
    if (path !== h.mcpPath) return json({ error: 'not_found' }, 404);
    return await serveMcp(h, req, url, info);
  } catch (err) {
    if (err instanceof ResourceServerError) {
      // L6: a refused credential (bad, foreign-audience or revoked token; invalid or replayed DPoP proof) is a security event.
      auditAuthFailure(h.session, h.authFailures, { error: err, scheme: schemeOf(req), ip: info.ip });
      if (err.status === 503) reportError(h, err, 503, path);
      // The whole replay cache full: our capacity, not the caller's credential (not a security
      // event), so the operator is told — at most once a minute. One key over its quota is that
      // caller's rate, not news for the operator.
      else if (err instanceof DpopCapacityError && err.scope === 'cache' && h.now() >= h.capacityReport.next) {
        h.capacityReport.next = h.now() + 60;
        reportError(h, err, 401, path);
      }
      return errorResponse(h, err, schemeOf(req));
    }
    // A fault of ours, not of the input: fail closed and describe nothing internal (the operator's hook is told).
    reportError(h, err, 500, path);
    return json({ error: 'server_error', error_description: 'the request could not be processed' }, 500);
  }
}
