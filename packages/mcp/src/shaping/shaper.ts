/**
 * Result shaping (RS-5): after the tool handler ran and before the result leaves the server,
 * rows the caller may not see are dropped and fields it may not read are removed — declared per
 * result type, decided by Cedar (an action evaluated on each row's entity) or by a predicate.
 *
 *   1. rows     keep a row only when `rows` allows it          (an agent sees its manager's reports)
 *   2. fields   remove each redaction's fields unless allowed   (an agent never receives `salary`)
 *   3. tools    a redaction limited to tools (`export_*`) applies only there (exports drop PII)
 *
 * Fail closed: a result type with rules but data in an unexpected shape is replaced by an empty
 * result rather than passed through unshaped. Data of a type with no rules passes unchanged.
 */
import type { AuthContext, EntityRef, PolicyEngine, ResultShaper, ShapeRequest } from '../core/types.ts';
import { isRecord, withoutFields, type JsonRecord } from './fields.ts';

export interface ShapeContext {
  auth: AuthContext;
  tool: string;
  row: JsonRecord;
}

/** Cedar decides: `action` on the row's entity. */
export interface CedarCheck {
  action: string;
}

export interface FieldRedaction {
  fields: string[];
  /** Only these tools (exports): the redaction is skipped for others. */
  tools?: string[];
  /** Keep the fields when this holds: a predicate, or a Cedar action allowed on the row's entity. Absent = always removed. */
  allowIf?: ((ctx: ShapeContext) => boolean) | CedarCheck;
}

export interface TypeShaping {
  /** The row's Cedar entity (needed for Cedar checks). */
  entity?: (row: JsonRecord) => EntityRef;
  /** Where the rows are when the result is an object: `{ employees: [...] }` -> 'employees'. An object without it is one row. */
  rowsAt?: string;
  /** Keep a row only when this holds. */
  rows?: ((ctx: ShapeContext) => boolean) | CedarCheck;
  redact?: FieldRedaction[];
}

export interface ShaperOptions {
  /** Rules per result type (ToolDefinition.resultType), e.g. `{ 'HR::Employee': {...} }`. */
  types: Record<string, TypeShaping>;
  /** Needed when a rule is a Cedar check. */
  policy?: PolicyEngine;
  /** Epoch seconds for the Cedar context. */
  now?: () => number;
}

export function createResultShaper(options: ShaperOptions): ResultShaper {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));

  async function check(rule: ((ctx: ShapeContext) => boolean) | CedarCheck, ctx: ShapeContext, shaping: TypeShaping): Promise<boolean> {
    if (typeof rule === 'function') return rule(ctx);
    if (!options.policy || !shaping.entity) throw new Error(`Result shaping: the Cedar check ${rule.action} needs a policy engine and an entity mapper for its result type.`);
    const { auth } = ctx;
    const decision = await options.policy.authorize({
      auth,
      tool: ctx.tool,
      action: rule.action,
      resource: shaping.entity(ctx.row),
      phase: 'call',
      args: undefined,
      context: { acr: auth.acr, authTime: auth.authTime, now: now(), chainDepth: auth.actorChain.length, clientTrustLevel: auth.clientTrustLevel, scopes: auth.scopes },
    });
    return decision.allow;
  }

  async function shapeRow(row: JsonRecord, request: ShapeRequest, shaping: TypeShaping): Promise<JsonRecord | null> {
    const ctx: ShapeContext = { auth: request.auth, tool: request.tool, row };
    if (shaping.rows && !(await check(shaping.rows, ctx, shaping))) return null;
    let out = row;
    for (const redaction of shaping.redact ?? []) {
      if (redaction.tools && !redaction.tools.includes(request.tool)) continue;
      const keep = redaction.allowIf ? await check(redaction.allowIf, ctx, shaping) : false;
      if (!keep) out = withoutFields(out, redaction.fields);
    }
    return out;
  }

  async function shapeRows(rows: unknown[], request: ShapeRequest, shaping: TypeShaping): Promise<JsonRecord[]> {
    const out: JsonRecord[] = [];
    for (const row of rows) {
      if (!isRecord(row)) continue; // not a record: cannot be shaped, so it is not returned
      const shaped = await shapeRow(row, request, shaping);
      if (shaped) out.push(shaped);
    }
    return out;
  }

  return {
    async shape(request: ShapeRequest): Promise<unknown> {
      const shaping = request.resultType === undefined ? undefined : options.types[request.resultType];
      if (!shaping) return request.data;
      const { data } = request;
      if (Array.isArray(data)) return shapeRows(data, request, shaping);
      if (!isRecord(data)) return null;
      if (shaping.rowsAt !== undefined && shaping.rowsAt in data) {
        const rows = data[shaping.rowsAt];
        return { ...data, [shaping.rowsAt]: Array.isArray(rows) ? await shapeRows(rows, request, shaping) : [] };
      }
      return shapeRow(data, request, shaping);
    },
  };
}
