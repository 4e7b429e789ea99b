/**
 * Entry point of an authorization server in its own process (spawn-authorization-server.ts).
 * Reads configuration overrides from MANDATE_INTEROP_OVERRIDES, creates one user, prints
 * `{ issuer, user }` as one JSON line, and stops on SIGTERM or when stdin closes.
 */
import { createUser, startAuthorizationServer } from '../server.ts';

const overrides = JSON.parse(process.env.MANDATE_INTEROP_OVERRIDES ?? '{}') as Record<string, unknown>;
const as = await startAuthorizationServer(overrides);
const user = await createUser(as.server.ctx, 'CIMD Flow User');
process.stdout.write(`${JSON.stringify({ issuer: as.issuer, user })}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await as.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();
