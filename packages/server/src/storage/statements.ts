/**
 * Hand-written SQL for the hot paths (token issuance, introspection, audit append): Kysely's
 * query builder costs more to compile than SQLite takes to run a small insert, so these
 * statements are written once with `?` placeholders and only renumbered for PostgreSQL.
 * Keep them to plain SQL both dialects accept; everything else uses the builder.
 */
import { CompiledQuery, type QueryResult } from 'kysely';
import type { RepoContext, StorageKind } from './context.ts';

const renumbered = new Map<string, string>();

function textFor(kind: StorageKind, text: string): string {
  if (kind === 'sqlite') return text;
  let sqlText = renumbered.get(text);
  if (sqlText === undefined) {
    let n = 0;
    sqlText = text.replace(/\?/g, () => `$${++n}`);
    renumbered.set(text, sqlText);
  }
  return sqlText;
}

export function execute<R>(ctx: RepoContext, text: string, params: readonly unknown[]): Promise<QueryResult<R>> {
  const sqlText = textFor(ctx.kind, text);
  // The direct path only for the very handle it was made for: a context copied with a transaction's `db` runs there.
  if (ctx.direct !== undefined && ctx.direct.db === ctx.db) return ctx.direct.execute<R>(sqlText, params);
  return ctx.db.executeQuery<R>(CompiledQuery.raw(sqlText, params as unknown[]));
}

export async function first<R>(ctx: RepoContext, text: string, params: readonly unknown[]): Promise<R | undefined> {
  return (await execute<R>(ctx, text, params)).rows[0];
}

/** Rows changed by an INSERT / UPDATE / DELETE without RETURNING. */
export async function affected(ctx: RepoContext, text: string, params: readonly unknown[]): Promise<number> {
  return Number((await execute(ctx, text, params)).numAffectedRows ?? 0n);
}
