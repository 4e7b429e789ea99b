/**
 * The McpServer a caller talks to: built for that caller, holding only the tools it may see
 * (RS-3) with the descriptions for its role, each handler wrapped so it gets a ToolContext,
 * its result shaped (RS-5) and its call audited (AU-1).
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AuthContext, MandateHooks, ToolAuditEvent, ToolDefinition, ToolResult } from './types.ts';
import { authorizeTool, describeFor, visible, type ToolAuthorizer, type ToolDecision } from '../tools/authorize.ts';

export interface SessionSettings {
  serverInfo: { name: string; version: string };
  tools: ToolDefinition[];
  authorizer: ToolAuthorizer;
  hooks: MandateHooks;
  resource: string;
  now: () => number;
  configure: ((server: McpServer, auth: AuthContext) => void) | undefined;
}

export function auditEvent(s: SessionSettings, auth: AuthContext, tool: string, d: Pick<ToolAuditEvent, 'decision' | 'reason' | 'entity'>, extra: Partial<ToolAuditEvent> = {}): ToolAuditEvent {
  return {
    time: s.now(),
    event: 'mcp.tool_call',
    tool,
    user: auth.user,
    agent: auth.agent,
    actorChain: auth.actorChain.map((a) => a.sub),
    clientId: auth.clientId,
    scopes: auth.scopes,
    resource: s.resource,
    jti: auth.jti,
    ip: undefined,
    durationMs: undefined,
    ...d,
    ...extra,
  };
}

export function reasonOf(d: ToolDecision): string | undefined {
  return d.kind === 'deny' ? d.reason : d.kind === 'challenge' ? `${d.error}: ${d.description}` : undefined;
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
 * `preDecided`: decisions already taken for this request (HTTP checks tool calls before the
 * transport, keyed by JSON-RPC id); without one (stdio), the call is authorized here.
 */
export async function buildServer(
  s: SessionSettings,
  auth: AuthContext,
  ip: string | undefined,
  preDecided: Map<string | number, ToolDecision>,
  /** Tool calls only, already decided: register just these, skip the listing checks. */
  onlyCalled?: Set<string>,
): Promise<McpServer> {
  const server = new McpServer(s.serverInfo, { capabilities: { tools: {} }, jsonSchemaValidator: sharedValidator() });
  for (const tool of s.tools) {
    if (onlyCalled) {
      if (!onlyCalled.has(tool.name)) continue;
    } else if (!visible(tool, await authorizeTool(s.authorizer, tool, auth, undefined, 'list'))) continue;
    server.registerTool(tool.name, { ...(tool.title ? { title: tool.title } : {}), description: describeFor(tool, auth), inputSchema: tool.inputSchema ?? {} }, async (args: Record<string, unknown>, extra) => {
      const started = Date.now();
      // A long-lived session (stdio) outlives its token: refuse calls once it expired (TS-1).
      if (s.now() >= auth.expiresAt) {
        s.hooks.audit?.record(auditEvent(s, auth, tool.name, { decision: 'deny', reason: 'the access token has expired', entity: undefined }, { ip }));
        return { isError: true, content: [{ type: 'text', text: 'Unauthorized: the access token has expired; reconnect with a fresh token' }] };
      }
      const decision = preDecided.get(extra.requestId) ?? (await authorizeTool(s.authorizer, tool, auth, args, 'call'));
      if (decision.kind !== 'allow') {
        s.hooks.audit?.record(auditEvent(s, auth, tool.name, { decision: decision.kind, reason: reasonOf(decision), entity: decision.resource }, { ip }));
        return { isError: true, content: [{ type: 'text', text: `Forbidden: ${reasonOf(decision) ?? 'not allowed'}` }] };
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
        const result = await toCallToolResult(s, tool, auth, decision, await tool.handler(args, ctx));
        s.hooks.audit?.record(auditEvent(s, auth, tool.name, { decision: result.isError ? 'error' : 'allow', reason: undefined, entity: decision.resource }, { ip, durationMs: Date.now() - started }));
        return result;
      } catch (err) {
        s.hooks.audit?.record(auditEvent(s, auth, tool.name, { decision: 'error', reason: (err as Error).message, entity: decision.resource }, { ip, durationMs: Date.now() - started }));
        throw err;
      }
    });
  }
  s.configure?.(server, auth);
  return server;
}
