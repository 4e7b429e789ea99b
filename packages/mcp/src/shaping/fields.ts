/** Field paths (`salary`, `address.street`) removed from plain JSON records without touching the original. */

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A copy of `row` without the given dot paths. Paths through arrays apply to every element. */
export function withoutFields(row: JsonRecord, paths: readonly string[]): JsonRecord {
  let out: JsonRecord = { ...row };
  for (const path of paths) out = removePath(out, path.split('.'));
  return out;
}

function removePath(obj: JsonRecord, parts: string[]): JsonRecord {
  const [head, ...rest] = parts;
  if (head === undefined || !(head in obj)) return obj;
  const copy: JsonRecord = { ...obj };
  if (rest.length === 0) {
    delete copy[head];
    return copy;
  }
  const child = copy[head];
  if (Array.isArray(child)) copy[head] = child.map((c) => (isRecord(c) ? removePath(c, rest) : c));
  else if (isRecord(child)) copy[head] = removePath(child, rest);
  return copy;
}
