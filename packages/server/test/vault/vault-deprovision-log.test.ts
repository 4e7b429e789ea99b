/**
 * The post-commit revocation after a deprovisioning (account/vault-deprovision.ts) never fails
 * the deprovisioning and logs no secret: only counts and an error code reach the log.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Writable } from 'node:stream';
import type { ServerContext } from '../../src/context.ts';
import { revokeVaultAfterDeprovisioning } from '../../src/account/vault-deprovision.ts';

const SECRET = 'gho_secret_token_that_must_not_be_logged';

function capture(): { logger: ServerContext['logger']; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream) as unknown as ServerContext['logger'], lines };
}

describe('revokeVaultAfterDeprovisioning', () => {
  it('a throwing vault (a storage error quoting a token) is logged by code only and does not throw', async () => {
    const { logger, lines } = capture();
    const error = Object.assign(new Error(`duplicate key value (ciphertext)=(${SECRET})`), { code: '23505' });
    const vault = { unlinkAllForUser: async () => Promise.reject(error) } as unknown as ServerContext['vault'];
    await expect(revokeVaultAfterDeprovisioning({ vault, logger }, 'usr_x')).resolves.toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(lines.join('')).toContain('"code":"23505"');
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('failed provider revocations are logged with counts', async () => {
    const { logger, lines } = capture();
    const vault = { unlinkAllForUser: async () => ({ unlinked: 3, revocationFailed: 1 }) } as unknown as ServerContext['vault'];
    await revokeVaultAfterDeprovisioning({ vault, logger }, 'usr_x');
    await new Promise((r) => setImmediate(r));
    expect(JSON.parse(lines[0]!)).toMatchObject({ userId: 'usr_x', unlinked: 3, revocationFailed: 1 });
  });
});
