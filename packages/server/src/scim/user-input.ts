/**
 * Validates the writable part of a User representation (POST, PUT, and the result of a PATCH).
 * readOnly attributes in the input are ignored (RFC 7643 §7); anything malformed is a 400
 * invalidValue naming the attribute. Unknown attributes are ignored.
 */
import { attribute } from './attribute.ts';
import { invalidValue } from './errors.ts';
import { isObject } from './filter/resolve.ts';
import type { ScimUserAttributes } from '../storage/records.ts';

export interface UserInput {
  userName: string;
  displayName: string | null;
  name: Record<string, string> | null;
  emails: NonNullable<ScimUserAttributes['emails']> | null;
  externalId: string | null;
  /** Absent: unchanged (PUT) or true (POST). */
  active: boolean | null;
  password: string | null;
}

const NAME_PARTS = ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'];
/** A login must be an address Mandate can show at sign-in; the check is deliberately loose. */
const EMAIL = /^[^\s@]+@[^\s@]+$/;

function optionalString(value: unknown, attribute: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > max) throw invalidValue(`${attribute} must be a string of at most ${max} characters.`);
  return value;
}

/** Azure AD sends booleans as "True"/"False" strings; accept both forms. */
function booleanValue(value: unknown, attribute: string): boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalidValue(`${attribute} must be true or false.`);
}

export function parseUserInput(doc: Record<string, unknown>): UserInput {
  const value = (name: string) => attribute(doc, name);
  const userName = optionalString(value('userName'), 'userName', 320)?.trim();
  if (!userName) throw invalidValue('userName is required.');
  if (!EMAIL.test(userName)) throw invalidValue('userName must be the user’s email address (it is their login at Mandate).');
  const password = optionalString(value('password'), 'password', 1024);
  if (password !== null && password.length < 12) throw invalidValue('password must be at least 12 characters.');
  return {
    userName,
    displayName: optionalString(value('displayName'), 'displayName', 200)?.trim() || null,
    name: parseName(value('name')),
    emails: parseEmails(value('emails')),
    externalId: optionalString(value('externalId'), 'externalId', 256),
    active: booleanValue(value('active'), 'active'),
    password,
  };
}

function parseName(raw: unknown): Record<string, string> | null {
  if (raw === undefined || raw === null) return null;
  if (!isObject(raw)) throw invalidValue('name must be an object.');
  const out: Record<string, string> = {};
  for (const part of NAME_PARTS) {
    const s = optionalString(attribute(raw, part), `name.${part}`, 200);
    if (s !== null) out[part] = s;
  }
  return Object.keys(out).length > 0 ? out : null;
}

function parseEmails(raw: unknown): UserInput['emails'] {
  if (raw === undefined || raw === null) return null;
  if (!Array.isArray(raw) || raw.length > 20) throw invalidValue('emails must be an array of at most 20 entries.');
  const emails = raw.map((e, i) => {
    if (!isObject(e)) throw invalidValue(`emails[${i}] must be an object.`);
    const get = (n: string) => attribute(e, n);
    const v = optionalString(get('value'), `emails[${i}].value`, 320);
    if (!v) throw invalidValue(`emails[${i}].value is required.`);
    const type = optionalString(get('type'), `emails[${i}].type`, 50);
    const display = optionalString(get('display'), `emails[${i}].display`, 200);
    const primary = booleanValue(get('primary'), `emails[${i}].primary`);
    return { value: v, ...(type !== null ? { type } : {}), ...(display !== null ? { display } : {}), ...(primary !== null ? { primary } : {}) };
  });
  if (emails.filter((e) => e.primary === true).length > 1) throw invalidValue('At most one email may be primary (RFC 7643 §2.4).');
  return emails.length > 0 ? emails : null;
}
