/**
 * The protected MCP server of the step-up test: @mandate/mcp checks the RFC 9068 access token
 * (issuer's JWKS, exactly this resource) and, for the sensitive tool, the authentication class in
 * `acr`. A token whose class is too weak gets RFC 9470 §3's challenge: 401
 * `Bearer error="insufficient_user_authentication"` with the `acr_values` to come back with.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMandateMcp, defineTool, nodeMcpListener } from '@mandate/mcp';

export interface StepUpResourceServer {
  /** The MCP endpoint: the resource indicator (RFC 8707) tokens must be issued for. */
  url: string;
  /** Points the server at its authorization server (known only once that has started). */
  trust(issuer: string): void;
  close(): Promise<void>;
}

/** The one tool: reading it needs at least `requiredAcr` (a phishing-resistant sign-in). */
export const STEP_UP_TOOL = 'read_salary_report';

/**
 * A real @mandate/mcp server (the SDK of issue 4) with one tool whose policy demands `requiredAcr`:
 * the SDK itself answers the RFC 9470 challenge.
 */
export async function startStepUpResourceServer(requiredAcr: string): Promise<StepUpResourceServer> {
  let listener: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  const server = createServer((req, res) => {
    if (listener) listener(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  return {
    url,
    trust(issuer: string) {
      const mcp = createMandateMcp({
        resource: url,
        issuer,
        serverInfo: { name: 'step-up-records', version: '1.0.0' },
        tools: [
          defineTool({
            name: STEP_UP_TOOL,
            description: 'Reads the salary report.',
            inputSchema: {},
            policy: { minAcr: requiredAcr },
            handler: async (_args, ctx) => ({ data: { records: ['salary-report-2026.pdf'], acr: ctx.auth.acr ?? null } }),
          }),
        ],
      });
      listener = nodeMcpListener(mcp);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** An MCP `tools/call` of the step-up tool, as JSON-RPC over Streamable HTTP. */
export function callStepUpTool(url: string, accessToken: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: STEP_UP_TOOL, arguments: {} } }),
  });
}

/** RFC 9470 §3 / RFC 6750 §3: the auth-params of a Bearer challenge. */
export function bearerChallenge(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header?.startsWith('Bearer')) return out;
  for (const m of header.slice(6).matchAll(/([a-z_]+)="([^"]*)"/g)) out[m[1] as string] = m[2] as string;
  return out;
}
