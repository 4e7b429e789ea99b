/**
 * The MCP project's own conformance suite, `@modelcontextprotocol/conformance authorization`,
 * against Mandate: both authorization-server scenarios (authorization-server-metadata-endpoint,
 * authorization-code-grant) must pass, judged by the tool's exit status and its checks.json.
 * Results are kept under test-artifacts/conformance/.
 */
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFORMANCE_BIN, CONFORMANCE_VERSION, runConformanceAuthorization, type ConformanceCheck } from '../src/conformance/run-conformance.ts';
import { INTEROP_SCOPES, nativeClient } from '../src/clients.ts';
import { createUser, freePort, startAuthorizationServer, type TestServer } from '../src/server.ts';

const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/conformance/', import.meta.url));

let as: TestServer;
let callbackPort: number;

beforeAll(async () => {
  rmSync(ARTIFACTS, { recursive: true, force: true }); // keep the latest run only
  callbackPort = await freePort();
  // Exact redirect URI the tool uses: http://127.0.0.1:<port>/callback (AS-4).
  as = await startAuthorizationServer({
    scopesSupported: INTEROP_SCOPES,
    clients: [nativeClient('conformance-client', [`http://127.0.0.1:${callbackPort}/callback`])],
  });
});
afterAll(async () => {
  await as?.close();
});

function statuses(checks: ConformanceCheck[] | undefined): Record<string, string> {
  return Object.fromEntries((checks ?? []).map((c) => [c.id, c.status]));
}

describe('MCP conformance suite: authorization server scenarios', () => {
  it(`passes both scenarios of conformance ${CONFORMANCE_VERSION} authorization`, { timeout: 120_000 }, async () => {
    expect(
      existsSync(CONFORMANCE_BIN),
      `${CONFORMANCE_BIN} is missing: install the pinned suite with npm install --save-dev @modelcontextprotocol/conformance@${CONFORMANCE_VERSION}`,
    ).toBe(true);

    const run = await runConformanceAuthorization({
      issuer: as.issuer,
      clientId: 'conformance-client',
      port: callbackPort,
      resource: 'http://127.0.0.1:53689/mcp',
      user: await createUser(as.server.ctx),
      outputDir: ARTIFACTS,
    });

    expect(run.loginError, run.output).toBeNull();
    expect(run.exitCode, run.output).toBe(0);
    expect(Object.keys(run.scenarios).sort()).toEqual(['authorization-code-grant', 'authorization-server-metadata-endpoint']);
    expect(statuses(run.scenarios['authorization-server-metadata-endpoint'])).toEqual({
      'authorization-server-metadata': 'SUCCESS',
      'authorization-server-metadata-cimd': 'SUCCESS',
    });
    expect(statuses(run.scenarios['authorization-code-grant'])).toEqual({ 'authorization-code-grant': 'SUCCESS' });
    expect(run.output).toContain('Total: 3 passed, 0 failed');
  });
});
