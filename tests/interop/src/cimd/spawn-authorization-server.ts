/**
 * Runs a Mandate authorization server in a child process. Needed where the server must start
 * with process-wide settings a test cannot change at run time — here NODE_EXTRA_CA_CERTS, so the
 * server's outbound https fetch trusts the loopback document host's throwaway certificate while
 * keeping its full certificate verification (nothing is switched off).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MandateConfigInput } from '../../../../packages/server/src/config/config.ts';
import type { TestUser } from '../server.ts';

const ENTRY = fileURLToPath(new URL('./authorization-server-process.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface ChildAuthorizationServer {
  issuer: string;
  user: TestUser;
  close(): Promise<void>;
}

export function spawnAuthorizationServer(overrides: Partial<MandateConfigInput>, env: Record<string, string> = {}): Promise<ChildAuthorizationServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, MANDATE_INTEROP_OVERRIDES: JSON.stringify(overrides) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null) child.stdin.end();
    await exited;
  };
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`The authorization server process did not start within 30 s. stderr: ${stderr}`)), 30_000);
    function fail(err: Error) {
      clearTimeout(timer);
      child.kill('SIGTERM');
      reject(err);
    }
    const early = (code: number | null) => fail(new Error(`The authorization server process exited (${code}) before it was ready. stderr: ${stderr}`));
    child.once('exit', early);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line) {
        clearTimeout(timer);
        child.off('exit', early);
        const ready = JSON.parse(line) as { issuer: string; user: TestUser };
        resolve({ ...ready, close });
      }
    });
  });
}
