/**
 * The README's first command: `npm start` (scripts/start.cjs → start.mjs → the esbuild bundle)
 * starts the authorization server, then loads the demo MCP servers from their own chunk after the
 * server listens, and prints where to go. Run on a fresh data directory and free ports.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe('npm start (README quick start)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mandate-npm-start-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves discovery, then the demo MCP servers, and prints the issuer, credentials and demo URLs', async () => {
    const [port, hr, crm, crmApi] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = { ...process.env, MANDATE_DATA_DIR: dataDir, MANDATE_PORT: String(port), MANDATE_DEMO_HR_PORT: String(hr), MANDATE_DEMO_CRM_PORT: String(crm), MANDATE_DEMO_CRM_API_PORT: String(crmApi) };
    delete env.NODE_ENV;
    delete env.MANDATE_DATABASE_URL;
    delete env.MANDATE_ISSUER;
    const child = spawn(process.execPath, ['scripts/start.cjs'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 50_000;
      while (!output.includes('Demo MCP servers') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(output, output).toContain('Demo MCP servers');
      expect(output).toContain(`Issuer:     http://localhost:${port}`);
      expect(output).toContain('alice@example.com');
      expect(output).toContain(`http://localhost:${hr}/mcp`);

      const discovery = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`);
      expect(discovery.status).toBe(200);
      expect(((await discovery.json()) as { issuer: string }).issuer).toBe(`http://localhost:${port}`);
      // The demo MCP server is a protected resource: without a token it answers 401 with its metadata URL (RFC 9728 §5.1).
      const mcp = await fetch(`http://127.0.0.1:${hr}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(mcp.status).toBe(401);
      expect(mcp.headers.get('www-authenticate')).toContain('resource_metadata=');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 60_000);
});
