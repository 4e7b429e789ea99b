/**
 * The McpServer a caller talks to: built for that caller, holding only the tools it may see
 * (RS-3) with the descriptions for its role, each handler wrapped so it gets a ToolContext,
 * its result shaped (RS-5) and its call audited (AU-1).
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { AuthContext, MandateHooks, RevocationSource, ToolAuditEvent, ToolDefinition, ToolResult } from './types.ts';
import { authorizeTool, describeFor, visible, type ToolAuthorizer, type ToolDecision } from '../tools/authorize.ts';
import { inputSchemaOf } from '../tools/arguments.ts';
import { callerFields, recordToolCall } from '../audit/events.ts';

export interface SessionSettings {
  serverInfo: { name: string; version: string };
  tools: ToolDefinition[];
  authorizer: ToolAuthorizer;
  hooks: MandateHooks;
  resource: string;
  now: () => number;
  configure: ((server: McpServer, auth: AuthContext) => void) | undefined;
  /** Asked before every call not decided per request (stdio): a session outlives its handshake (CO-1). */
  revocation: RevocationSource | undefined;
}

/** A tool call authorized before the transport, with the parsed arguments it was authorized on. */
export interface DecidedCall {
  tool: string;
  args: unknown;
  decision: ToolDecision;
}

export function auditEvent(s: SessionSettings, auth: AuthContext, tool: string, d: Pick<ToolAuditEvent, 'decision' | 'reason' | 'entity'>, extra: Partial<ToolAuditEvent> = {}): ToolAuditEvent {
  return {
    time: s.now(),
    event: 'mcp.tool_call',
    tool,
    ...callerFields(s, auth),
    ip: undefined,
    durationMs: undefined,
    ...d,
    ...extra,
  };
}

export function reasonOf(d: ToolDecision): string | undefined {
  return d.kind === 'deny' ? d.reason : d.kind === 'challenge' ? `${d.error}: ${d.description}` : undefined;
}

/** The audit row also gets what failed inside a resolver or policy engine (the caller does not). */
export function auditReasonOf(d: ToolDecision): string | undefined {
  const reason = reasonOf(d);
  return d.detail === undefined ? reason : `${reason}: ${d.detail}`;
}

function isCallToolResult(r: ToolResult): r is CallToolResult {
  return 'content' in r && Array.isArray((r as CallToolResult).content);
}

async function toCallToolResult(s: SessionSettings, tool: ToolDefinition, auth: AuthContext, decision: ToolDecision, result: ToolResult): Promise<CallToolResult> {
  if (isCallToolResult(result)) return result;
  const data = s.hooks.shaper ? await s.hooks.shaper.shape({ auth, tool: tool.name, resultType: tool.resultType, data: result.data, resource: decision.resource }) : result.data;
  const out: CallToolResult = { content: [{ type: 'text', text: JSON.stringify(data) }] };
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) out.structuredContent = data as Record<string, unknown>;
  return out;
}

/** One validator for every per-request server: building Ajv per request dominated the cost. */
let validator: AjvJsonSchemaValidator | undefined;
function sharedValidator(): AjvJsonSchemaValidator {
  validator ??= new AjvJsonSchemaValidator();
  return validator;
}

/**
 * Why the session's token may no longer be used, if it may not. Expiry is checked on every call
 * (TS-1). Revocation (CO-1) is asked when the token was not just checked for this request: a stdio
 * session verified it once at the handshake. A source that cannot answer refuses (fail closed).
 */
async function tokenRefusal(s: SessionSettings, auth: AuthContext, askRevocation: boolean): Promise<string | undefined> {
  if (s.now() >= auth.expiresAt) return 'the access token has expired; reconnect with a fresh token';
  if (!askRevocation || !s.revocation) return undefined;
  try {
    return (await s.revocation.isRevoked(auth)) ? 'the access token has been revoked; reconnect with a fresh token' : undefined;
  } catch {
    return 'the access token could not be checked for revocation; try again later';
  }
}

/**
 * The call as it will run: decided before the transport (HTTP), with the arguments it was
 * authorized on, or authorized here on the arguments the SDK parsed (stdio, or a call HTTP could
 * not parse ahead). Either way the handler gets exactly the arguments the checks saw.
 */
async function decide(s: SessionSettings, tool: ToolDefinition, auth: AuthContext, sdkArgs: unknown, pre: DecidedCall | undefined): Promise<DecidedCall> {
  if (pre && pre.tool === tool.name) return pre;
  return { tool: tool.name, args: sdkArgs, decision: await authorizeTool(s.authorizer, tool, auth, sdkArgs, 'call') };
}

function toolError(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}

/**
 * `preDecided`: calls already authorized for this request (HTTP checks tool calls before the
 * transport, keyed by JSON-RPC id, unique per batch); without one (stdio), the call is authorized here.
 */
export async function buildServer(
  s: SessionSettings,
  auth: AuthContext,
  ip: string | undefined,
  preDecided: Map<string | number, DecidedCall>,
  /** Tool calls only, already decided: register just these, skip the listing checks. */
  onlyCalled?: Set<string>,
  /** Filled with the names of the tools registered (what a tools/list of this request shows). */
  registered: string[] = [],
): Promise<McpServer> {
  const server = new McpServer(s.serverInfo, { capabilities: { tools: {} }, jsonSchemaValidator: sharedValidator() });
  for (const tool of s.tools) {
    if (onlyCalled) {
      if (!onlyCalled.has(tool.name)) continue;
    } else if (!visible(tool, await authorizeTool(s.authorizer, tool, auth, undefined, 'list'))) continue;
    const audit = (d: Pick<ToolAuditEvent, 'decision' | 'reason' | 'entity'>, durationMs?: number) =>
      recordToolCall(s.hooks.audit, auditEvent(s, auth, tool.name, d, { ip, durationMs }));
    // The SDK parses with this same zod object (see tools/arguments.ts).
    registered.push(tool.name);
    server.registerTool(tool.name, { ...(tool.title ? { title: tool.title } : {}), description: describeFor(tool, auth), inputSchema: inputSchemaOf(tool) }, async (sdkArgs: unknown, extra: RequestHandlerExtra<ServerRequest, ServerNotification>) => {
      const started = Date.now();
      const pre = preDecided.get(extra.requestId);
      const refusal = await tokenRefusal(s, auth, pre === undefined);
      if (refusal) {
        audit({ decision: 'deny', reason: refusal, entity: undefined });
        return toolError(`Unauthorized: ${refusal}`);
      }
      const { args, decision } = await decide(s, tool, auth, sdkArgs, pre);
      if (decision.kind !== 'allow') {
        audit({ decision: decision.kind, reason: auditReasonOf(decision), entity: decision.resource });
        return toolError(`Forbidden: ${reasonOf(decision) ?? 'not allowed'}`);
      }
      try {
        const ctx = {
          auth,
          tool: tool.name,
          resource: decision.resource,
          signal: extra.signal,
          downstreamToken: (audience: string, scopes: string[]) => {
            if (!s.hooks.downstream) throw new Error('no downstream token provider is configured (PASS-1: the incoming token is never forwarded)');
            return s.hooks.downstream.token(auth, audience, scopes);
          },
          shape: async (data: unknown, resultType?: string) =>
            s.hooks.shaper ? s.hooks.shaper.shape({ auth, tool: tool.name, resultType: resultType ?? tool.resultType, data, resource: decision.resource }) : data,
        };
        const result = await toCallToolResult(s, tool, auth, decision, await tool.handler(args as Parameters<ToolDefinition['handler']>[0], ctx));
        audit({ decision: result.isError ? 'error' : 'allow', reason: undefined, entity: decision.resource }, Date.now() - started);
        return result;
      } catch (err) {
        audit({ decision: 'error', reason: (err as Error).message, entity: decision.resource }, Date.now() - started);
        throw err;
      }
    });
  }
  s.configure?.(server, auth);
  return server;
}
