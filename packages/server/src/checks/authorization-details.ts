/**
 * RFC 9396 §2 / §5: authorization_details is a JSON array of objects, each with a `type` the
 * server knows. Fields are checked against the configured type so nothing unreviewed reaches
 * a consent screen or a token.
 */
import { InvalidAuthorizationDetailsError } from '@mandate/protocol';
import type { AuthorizationDetailsType } from '../config/config.ts';

export type AuthorizationDetail = Record<string, unknown> & { type: string };

/** RFC 9396 §2.2 common fields, allowed on every type. */
const COMMON_FIELDS = new Set(['type', 'locations', 'actions', 'datatypes', 'identifier', 'privileges']);

export function parseAuthorizationDetails(value: string | undefined, types: AuthorizationDetailsType[]): AuthorizationDetail[] | null {
  if (value === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidAuthorizationDetailsError('authorization_details is not valid JSON.');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new InvalidAuthorizationDetailsError('authorization_details must be a non-empty JSON array.');
  if (parsed.length > 20) throw new InvalidAuthorizationDetailsError('authorization_details has too many entries (at most 20).');
  return parsed.map((entry, i) => checkDetail(entry, i, types));
}

function checkDetail(entry: unknown, index: number, types: AuthorizationDetailsType[]): AuthorizationDetail {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new InvalidAuthorizationDetailsError(`authorization_details[${index}] must be an object.`);
  }
  const detail = entry as Record<string, unknown>;
  if (typeof detail.type !== 'string' || detail.type === '') throw new InvalidAuthorizationDetailsError(`authorization_details[${index}] has no type.`);
  const type = types.find((t) => t.type === detail.type);
  if (!type) throw new InvalidAuthorizationDetailsError(`authorization_details type '${detail.type}' is not supported.`);
  for (const key of Object.keys(detail)) {
    if (!COMMON_FIELDS.has(key) && !type.fields.includes(key)) {
      throw new InvalidAuthorizationDetailsError(`authorization_details[${index}] has an unknown field '${key}' for type '${type.type}'.`);
    }
  }
  for (const key of type.required) {
    if (!(key in detail)) throw new InvalidAuthorizationDetailsError(`authorization_details[${index}] is missing the required field '${key}'.`);
  }
  for (const key of ['locations', 'actions', 'datatypes', 'privileges'] as const) {
    if (key in detail && !(Array.isArray(detail[key]) && (detail[key] as unknown[]).every((v) => typeof v === 'string'))) {
      throw new InvalidAuthorizationDetailsError(`authorization_details[${index}].${key} must be an array of strings.`);
    }
  }
  return detail as AuthorizationDetail;
}

/** RFC 9396 §7: at the token endpoint a client may only narrow, never add details. */
export function isDetailsSubset(requested: AuthorizationDetail[], granted: Record<string, unknown>[]): boolean {
  const grantedJson = new Set(granted.map((g) => JSON.stringify(g)));
  return requested.every((r) => grantedJson.has(JSON.stringify(r)));
}
