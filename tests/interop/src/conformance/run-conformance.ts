/**
 * Runs `conformance authorization` (@modelcontextprotocol/conformance, pinned 0.2.0-alpha.12)
 * against an issuer, plays the user for its authorization-code scenario, and returns the exit
 * status together with the checks it wrote.
 *
 * The tool prints the authorization URL and waits for a browser to arrive at
 * http://127.0.0.1:<port>/callback; here the headless driver logs in and consents, and the final
 * redirect is delivered to that callback listener, as a browser would.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { authorizeHeadlessly, type LoginCredentials } from '../browserless-login.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const CONFORMANCE_VERSION = '0.2.0-alpha.12';
/** The binary npm links for the pinned devDependency. MANDATE_CONFORMANCE_BIN may name another build of the tool. */
export const CONFORMANCE_BIN = process.env.MANDATE_CONFORMANCE_BIN ?? join(REPO_ROOT, 'node_modules', '.bin', 'conformance');
const NODE20_PRELOAD = fileURLToPath(new URL('./node20-fs-glob.mjs', import.meta.url));

export interface ConformanceCheck {
  id: string;
  name: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'SKIPPED' | 'INFO';
  description: string;
  errorMessage?: string;
}

export interface ConformanceRun {
  exitCode: number | null;
  output: string;
  /** Checks per scenario, from <outputDir>/authorization-server-<scenario>-<time>/checks.json. */
  scenarios: Record<string, ConformanceCheck[]>;
  /** Set when playing the user failed. */
  loginError: Error | null;
}

export interface ConformanceOptions {
  issuer: string;
  clientId: string;
  port: number;
  resource: string;
  user: LoginCredentials;
  outputDir: string;
}

export function conformanceCommand(o: Pick<ConformanceOptions, 'issuer' | 'clientId' | 'port' | 'resource' | 'outputDir'>): string[] {
  return [
    '--import', NODE20_PRELOAD, CONFORMANCE_BIN, 'authorization',
    '--url', o.issuer, '--client-id', o.clientId, '--port', String(o.port), '--resource', o.resource, '--output-dir', o.outputDir,
  ];
}

function readScenarios(outputDir: string): Record<string, ConformanceCheck[]> {
  const out: Record<string, ConformanceCheck[]> = {};
  for (const entry of readdirSync(outputDir)) {
    const m = /^authorization-server-(.+)-\d{4}-\d{2}-\d{2}T.*$/.exec(entry);
    const file = join(outputDir, entry, 'checks.json');
    if (m?.[1] && existsSync(file)) out[m[1]] = JSON.parse(readFileSync(file, 'utf8')) as ConformanceCheck[];
  }
  return out;
}

export function runConformanceAuthorization(o: ConformanceOptions): Promise<ConformanceRun> {
  mkdirSync(o.outputDir, { recursive: true });
  const child = spawn(process.execPath, conformanceCommand(o), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let loginError: Error | null = null;
  let login: Promise<void> | null = null;
  const authorizePrefix = `${o.issuer}/authorize?`;

  const onOutput = (chunk: Buffer) => {
    output += chunk.toString();
    const url = output.split('\n').find((line) => line.startsWith(authorizePrefix));
    if (url && !login) {
      login = authorizeHeadlessly(url.trim(), o.user)
        .then(async ({ callback }) => {
          // Deliver the authorization response to the tool's loopback listener.
          const res = await fetch(callback);
          await res.body?.cancel();
        })
        .catch((err: unknown) => {
          loginError = err instanceof Error ? err : new Error(String(err));
          child.kill('SIGTERM');
        });
    }
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));

  return new Promise((resolve) => {
    child.once('exit', async (exitCode) => {
      await login;
      resolve({ exitCode, output, scenarios: readScenarios(o.outputDir), loginError });
    });
  });
}
