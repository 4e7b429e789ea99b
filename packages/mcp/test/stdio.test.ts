/**
 * BR-3 stdio token handshake: a real child process (the stdio HR server) receives its token as
 * the first stdin message from the launcher, verifies it (JWKS, iss, aud) before serving, and
 * refuses to serve without it — a token in the environment is never used.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { TokenServer } from '../../server/test/token/fixtures.ts';
import { createMandateMcp, handshakeMessage, launchStdioServer, serveStdio, type MandateMcp, type ToolAuditEvent } from '../src/index.ts';
import { MACHINE, RS_CLIENT, hrTools, machineToken, postForm, startAs } from './support/setup.ts';

const SERVER = fileURLToPath(new URL('./fixtures/stdio-hr-server.ts', import.meta.url));
const RESOURCE = 'http://127.0.0.1/stdio-hr';

let as: TokenServer;
beforeAll(async () => {
  as = await startAs();
});
afterAll(async () => {
  await as?.close();
});

function launcher(token: string) {
  return launchStdioServer({ command: process.execPath, args: ['--import', 'tsx', SERVER, as.issuer, RESOURCE], token, stderr: 'pipe' });
}

/** Runs the server with raw stdin lines; resolves with exit code, stdout and stderr. */
function runRaw(lines: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER, as.issuer, RESOURCE], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    for (const line of lines) child.stdin.write(`${line}\n`);
  });
}

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });

describe('BR-3 stdio handshake with a valid token', () => {
  it('the launcher sends the token first; the MCP SDK client then lists and calls tools', async () => {
    const token = await machineToken(as, 'hr:write', RESOURCE);
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(launcher(token));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['approve_payment', 'delete_employee', 'list_employees', 'update_status']);
      const result = await client.callTool({ name: 'update_status', arguments: { id: 'e1', status: 'active' } });
      expect(result.structuredContent).toEqual({ id: 'e1', status: 'active' });
      // Step-up cannot happen over stdio: the call is refused with a clear tool error.
      const denied = await client.callTool({ name: 'delete_employee', arguments: { id: 'e1' } });
      expect(denied.isError).toBe(true);
      expect(JSON.stringify(denied.content)).toMatch(/Forbidden: insufficient_user_authentication/);
    } finally {
      await client.close();
    }
  });
});

describe('BR-3 stdio handshake refusals (nothing is served)', () => {
  it('refuses a token for another audience: exit 77, nothing on stdout', async () => {
    const token = await machineToken(as, 'hr:read', 'https://other.example/mcp');
    const out = await runRaw([JSON.stringify(handshakeMessage(token)), INIT]);
    expect(out.code).toBe(77);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/not issued for this resource/);
  });

  it('refuses to serve when the first message is not the handshake, even with a valid token in the environment', async () => {
    const token = await machineToken(as, 'hr:read', RESOURCE);
    const out = await runRaw([INIT], { MANDATE_ACCESS_TOKEN: token, ACCESS_TOKEN: token });
    expect(out.code).toBe(77);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/first stdin message must be the notifications\/mandate\/access_token notification/);
  });

  it('refuses a forged token (alg none)', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const forged = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ iss: as.issuer, aud: RESOURCE, sub: 'x', client_id: 'x', iat: now, exp: now + 60, scope: 'hr:write' })}.`;
    const out = await runRaw([JSON.stringify(handshakeMessage(forged)), INIT]);
    expect(out.code).toBe(77);
    expect(out.stdout).toBe('');
  });

  it('the SDK client over the launcher fails to connect with a refused token', async () => {
    const token = await machineToken(as, 'hr:read', 'https://other.example/mcp');
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await expect(client.connect(launcher(token))).rejects.toThrow();
    await client.close();
  });
});

/** A stdio session served in-process (same handshake code), with MCP lines in and out. */
async function inProcessSession(mcp: MandateMcp, token: string) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const lines: Record<string, any>[] = [];
  let buffer = '';
  stdout.on('data', (d) => {
    buffer += String(d);
    let nl: number;
    while ((nl = buffer.indexOf('\n')) !== -1) {
      lines.push(JSON.parse(buffer.slice(0, nl)));
      buffer = buffer.slice(nl + 1);
    }
  });
  stdin.write(`${JSON.stringify(handshakeMessage(token))}\n${INIT}\n`);
  const session = await serveStdio(mcp, { stdin, stdout });
  const call = (id: number) => stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'list_employees', arguments: {} } })}\n`);
  const reply = async (id: number) => {
    // Poll until the reply is there; the test timeout, not a short count, bounds a missing one (CI is loaded).
    while (!lines.some((l) => l.id === id)) await new Promise((r) => setTimeout(r, 10));
    return lines.find((l) => l.id === id);
  };
  return { session, call, reply };
}

describe('TS-1 a stdio session outlives its token', () => {
  it('refuses tool calls once the token has expired (in-process, same handshake code)', async () => {
    let shift = 0;
    const mcp = createMandateMcp({ resource: RESOURCE, issuer: as.issuer, serverInfo: { name: 'hr-stdio', version: '1' }, tools: hrTools(), now: () => Math.floor(Date.now() / 1000) + shift });
    const { session, call, reply } = await inProcessSession(mcp, await machineToken(as, 'hr:read', RESOURCE));
    expect((await reply(1))?.result.serverInfo.name).toBe('hr-stdio');
    call(2);
    expect((await reply(2))?.result.isError).toBeUndefined();
    shift = 3600;
    call(3);
    const expired = await reply(3);
    expect(expired?.result.isError).toBe(true);
    expect(expired?.result.content[0].text).toMatch(/access token has expired/);
    await session.server.close();
  });
});

describe('CO-1 a stdio session re-checks revocation on every call', () => {
  it('refuses tool calls once the token is revoked at the AS (introspection revocation source)', async () => {
    const audit: ToolAuditEvent[] = [];
    const mcp = createMandateMcp({
      resource: RESOURCE,
      issuer: as.issuer,
      serverInfo: { name: 'hr-stdio', version: '1' },
      tools: hrTools(),
      revocation: 'introspection',
      introspection: { clientId: RS_CLIENT.id, clientSecret: RS_CLIENT.secret, cacheSeconds: 0 },
      hooks: { audit: { record: (e) => audit.push(e) } },
    });
    const token = await machineToken(as, 'hr:read', RESOURCE);
    const { session, call, reply } = await inProcessSession(mcp, token);
    await reply(1);
    call(2);
    expect((await reply(2))?.result.isError).toBeUndefined();
    const revoked = await postForm(`${as.issuer}/revoke`, { token, client_id: MACHINE.id, client_secret: MACHINE.secret });
    expect(revoked.status).toBe(200);
    call(3);
    const refused = await reply(3);
    expect(refused?.result.isError).toBe(true);
    expect(refused?.result.content[0].text).toMatch(/access token has been revoked/);
    // The handler ran for call 2 only.
    expect(audit.map((e) => [e.decision, e.reason])).toEqual([
      ['allow', undefined],
      ['deny', 'the access token has been revoked; reconnect with a fresh token'],
    ]);
    await session.server.close();
    await mcp.close();
  });
});
