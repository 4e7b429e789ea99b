/**
 * `npx tsx packages/server/src/cli/vault-rewrap.ts`: key rotation for the token vault (issue 5).
 * Reads the same environment as the server (MANDATE_DATABASE_URL or MANDATE_DATA_DIR,
 * MANDATE_SECRET_KEY, MANDATE_VAULT_KEY_FILE), then re-wraps every entry and connection
 * credential still under another key-encryption key with the current one (vault/rotation.ts).
 * Safe while servers are running and safe to run again. Prints counts and the ids and error
 * codes of rows it could not unwrap — never key material. Exit code 0 when nothing failed.
 *
 * Rotation: add the new key to the key file and make it `current`; restart the servers (they
 * seal with the new key and still read the old one); run this; once it reports nothing failed,
 * remove the old key from the file. The same operation is POST /admin/v1/vault/rewrap.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../config/load.ts';
import { isPostgresUrl, openStorage } from '../storage/open.ts';
import type { Storage } from '../storage/storage.ts';
import { vaultKeys } from '../vault/kek.ts';
import { rewrapAll, type RewrapReport } from '../vault/rotation.ts';

function formatRewrapReport(report: RewrapReport, currentKek: string): string[] {
  const lines = [`vault rewrap to key "${currentKek}": ${report.rewrapped} re-wrapped, ${report.skipped} already current (concurrent writes), ${report.failed.length} failed`];
  for (const f of report.failed) lines.push(`  failed ${f.kind} ${f.id}: ${f.code}`);
  return lines;
}

export async function main(env: NodeJS.ProcessEnv = process.env, out: (line: string) => void = console.log): Promise<number> {
  let storage: Storage | undefined;
  try {
    const config = loadConfig(env);
    // Opening a missing SQLite file would create an empty database and report a vacuous success.
    if (!isPostgresUrl(config.databaseUrl) && config.databaseUrl !== ':memory:' && !existsSync(config.databaseUrl)) {
      out(`vault not re-wrapped: no database at ${config.databaseUrl}`);
      return 1;
    }
    const keys = vaultKeys(config);
    storage = await openStorage(config.databaseUrl);
    const report = await rewrapAll(storage, keys);
    for (const line of formatRewrapReport(report, keys.currentKeyId)) out(line);
    return report.failed.length === 0 ? 0 : 1;
  } catch (error) {
    // Config and key-file errors name the file or the variable, never a key.
    out(`vault not re-wrapped: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await storage?.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
