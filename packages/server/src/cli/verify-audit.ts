/**
 * `npm run audit:verify`: walks the audit hash chain (AU-1) from the first row and reports the
 * first break. Reads MANDATE_DATABASE_URL, or the embedded database in MANDATE_DATA_DIR
 * (default `.mandate/mandate.sqlite`). Exit code 0 when intact, 1 when broken or unreadable.
 *
 * The chain proves that no row was changed, inserted or removed before the last one; removing
 * rows from the end leaves a shorter valid chain, which is why the count is printed.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GENESIS_HASH, verifyAuditRows, type ChainBreak } from '../audit/chain.ts';
import { isPostgresUrl, openStorage } from '../storage/open.ts';
import type { Storage } from '../storage/storage.ts';

export interface AuditChainReport {
  /** Rows verified before the break (all rows when intact). */
  count: number;
  broken: ChainBreak | null;
}

/** Pages through the log in seq order, carrying the previous hash across pages. */
export async function verifyAuditChain(storage: Storage, pageSize = 1000): Promise<AuditChainReport> {
  let prevHash = GENESIS_HASH;
  let afterSeq = 0;
  let count = 0;
  for (;;) {
    const rows = await storage.audit.list({ afterSeq, limit: pageSize });
    if (rows.length === 0) return { count, broken: null };
    const { lastHash, broken } = verifyAuditRows(rows, prevHash);
    if (broken) return { count: count + rows.findIndex((r) => r.seq === broken.seq), broken };
    count += rows.length;
    prevHash = lastHash;
    afterSeq = rows[rows.length - 1]!.seq;
  }
}

export function formatReport(report: AuditChainReport): string {
  if (!report.broken) return `audit chain OK: ${report.count} events`;
  return `audit chain BROKEN at seq ${report.broken.seq}: ${report.broken.reason} (${report.count} events verified before it)`;
}

export function databaseUrlFromEnv(env: NodeJS.ProcessEnv): string {
  return env.MANDATE_DATABASE_URL ?? join(resolve(env.MANDATE_DATA_DIR ?? '.mandate'), 'mandate.sqlite');
}

export async function main(env: NodeJS.ProcessEnv = process.env, out: (line: string) => void = console.log): Promise<number> {
  const url = databaseUrlFromEnv(env);
  // Opening a missing SQLite file would create an empty one and report a vacuous OK.
  if (!isPostgresUrl(url) && url !== ':memory:' && !existsSync(url)) {
    out(`audit chain not verified: no database at ${url}`);
    return 1;
  }
  let storage: Storage | undefined;
  try {
    storage = await openStorage(url);
    const report = await verifyAuditChain(storage);
    out(formatReport(report));
    return report.broken ? 1 : 0;
  } catch (error) {
    out(`audit chain not verified: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await storage?.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
