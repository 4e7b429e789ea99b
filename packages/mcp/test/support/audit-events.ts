/** A tool-call audit event as the core records it, for the audit sink tests. */
import type { ToolAuditEvent } from '../../src/core/types.ts';

/** The entity carries an attribute on purpose: the wire form must keep only its type and id. */
export function toolCall(tool: string, extra: Partial<ToolAuditEvent> = {}): ToolAuditEvent {
  return {
    time: 1_700_000_000,
    event: 'mcp.tool_call',
    tool,
    decision: 'allow',
    reason: undefined,
    user: 'usr_manager',
    agent: 'agt_sales',
    actorChain: ['agt_sales'],
    clientId: 'claude-desktop',
    scopes: ['hr:read'],
    resource: 'http://127.0.0.1:4410/mcp',
    entity: { type: 'HR::Employee', id: 'emp-7', attributes: { salary: 123_000 } },
    jti: 'jti-1',
    ip: '127.0.0.1',
    durationMs: 3,
    ...extra,
  };
}
