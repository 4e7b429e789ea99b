/**
 * A group as a SCIM Group resource (RFC 7643 §4.2), and the writable part of one. Members are
 * users only (type "User"): agents follow their owner and are not provisioned into groups.
 */
import type { GroupRecord } from '../storage/records.ts';
import { attribute } from './attribute.ts';
import { invalidValue } from './errors.ts';
import { isObject } from './filter/resolve.ts';
import { isoTime, scimUrl } from './paths.ts';
import { GROUP_SCHEMA } from './resource-schemas.ts';

export interface GroupMember {
  id: string;
  display: string;
}

/** Large groups are fine; a single request naming more members than this is not. */
const MAX_MEMBERS_PER_REQUEST = 10_000;

export function groupResource(issuer: string, group: GroupRecord, members: GroupMember[]): Record<string, unknown> {
  return {
    schemas: [GROUP_SCHEMA],
    id: group.id,
    ...(group.externalId !== null ? { externalId: group.externalId } : {}),
    displayName: group.displayName,
    members: members.map((m) => ({ value: m.id, $ref: scimUrl(issuer, `/Users/${m.id}`), display: m.display, type: 'User' })),
    meta: { resourceType: 'Group', created: isoTime(group.createdAt), lastModified: isoTime(group.updatedAt), location: scimUrl(issuer, `/Groups/${group.id}`) },
  };
}

export interface GroupInput {
  displayName: string;
  externalId: string | null;
  /** User ids; null when the input has no members attribute. */
  memberIds: string[] | null;
}

export function parseGroupInput(doc: Record<string, unknown>): GroupInput {
  const value = (name: string) => attribute(doc, name);
  const displayName = value('displayName');
  if (typeof displayName !== 'string' || displayName.trim() === '' || displayName.length > 200) throw invalidValue('displayName is required: a string of at most 200 characters.');
  const externalId = value('externalId');
  if (externalId !== undefined && externalId !== null && (typeof externalId !== 'string' || externalId.length > 256)) throw invalidValue('externalId must be a string of at most 256 characters.');
  return { displayName: displayName.trim(), externalId: typeof externalId === 'string' ? externalId : null, memberIds: parseMembers(value('members')) };
}

function parseMembers(raw: unknown): string[] | null {
  if (raw === undefined || raw === null) return null;
  if (!Array.isArray(raw) || raw.length > MAX_MEMBERS_PER_REQUEST) throw invalidValue(`members must be an array of at most ${MAX_MEMBERS_PER_REQUEST} entries.`);
  return raw.map((m, i) => {
    if (!isObject(m)) throw invalidValue(`members[${i}].value must be a user id.`);
    const value = attribute(m, 'value');
    const type = attribute(m, 'type');
    if (typeof value !== 'string' || value === '' || value.length > 200) throw invalidValue(`members[${i}].value must be a user id.`);
    if (type !== undefined && type !== null && (typeof type !== 'string' || type.toLowerCase() !== 'user')) throw invalidValue(`members[${i}]: groups hold users only.`);
    return value;
  });
}
