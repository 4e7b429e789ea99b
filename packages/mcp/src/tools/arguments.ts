/**
 * A tool's arguments as its handler will see them. The MCP SDK parses `params.arguments` with the
 * tool's zod schema (defaults, coercions, transforms, bounds) before calling the handler, so the
 * checks that look at arguments (RAR `match`, the Cedar resource resolver and context, the policy)
 * must see that parsed value, never the raw JSON: otherwise `{}` with `limit: z.number().default(1000)`
 * is authorized as "no limit" and run as 1000, and resolvers see input the schema would refuse.
 * The same zod object is handed to the SDK (registerTool), so both parse with one schema.
 */
import { objectFromShape, safeParseAsync, type AnyObjectSchema } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import type { ToolDefinition } from '../core/types.ts';

const schemas = new WeakMap<ToolDefinition, AnyObjectSchema>();

/** The zod object of a tool's input (an empty object for a tool without arguments), built once. */
export function inputSchemaOf(tool: ToolDefinition): AnyObjectSchema {
  let schema = schemas.get(tool);
  if (!schema) {
    schema = objectFromShape(tool.inputSchema ?? {});
    schemas.set(tool, schema);
  }
  return schema;
}

export type ParsedArguments = { ok: true; args: unknown } | { ok: false };

/** Parses as the SDK's validateToolInput does (`arguments ?? {}`); a failure is answered by the SDK. */
export async function parseToolArguments(tool: ToolDefinition, raw: unknown): Promise<ParsedArguments> {
  const result = await safeParseAsync(inputSchemaOf(tool), raw ?? {});
  return result.success ? { ok: true, args: result.data } : { ok: false };
}
