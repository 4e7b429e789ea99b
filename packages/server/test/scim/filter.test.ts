/**
 * RFC 7644 §3.4.2.2 filters: the parser's grammar and precedence, evaluation over resource JSON
 * (case-insensitive userName per RFC 7643 §4.1.1, multi-valued and extension attributes), the
 * type checks, and — as a property — that any input either parses or fails with invalidFilter.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ScimError } from '../../src/scim/errors.ts';
import { checkFilter } from '../../src/scim/filter/check.ts';
import { matches } from '../../src/scim/filter/evaluate.ts';
import { parseFilter, parsePatchPath } from '../../src/scim/filter/parser.ts';
import { resourceScope } from '../../src/scim/filter/resolve.ts';
import { AGENT_EXTENSION, GROUP, USER } from '../../src/scim/resource-schemas.ts';
import { scimTypeOf } from './scim-type.ts';

const alice = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', AGENT_EXTENSION],
  id: 'usr_alice',
  externalId: 'EXT-1',
  userName: 'alice@example.com',
  name: { givenName: 'Alice', familyName: 'Liddell' },
  displayName: 'Alice Liddell',
  active: true,
  emails: [
    { value: 'alice@example.com', type: 'work', primary: true },
    { value: 'alice@home.example', type: 'home' },
  ],
  [AGENT_EXTENSION]: { agents: [{ value: 'agt_1', display: 'Inbox triage', status: 'suspended', allowedScopes: ['mail:read'] }] },
  meta: { resourceType: 'User', created: '2026-01-01T00:00:00.000Z', lastModified: '2026-06-01T00:00:00.000Z', location: 'https://as/scim/v2/Users/usr_alice' },
};

function userMatches(filter: string, resource: Record<string, unknown> = alice): boolean {
  const parsed = parseFilter(filter);
  checkFilter(parsed, resourceScope(USER));
  return matches(parsed, resource, resourceScope(USER));
}

describe('RFC 7644 §3.4.2.2 filter operators', () => {
  it.each([
    ['userName eq "alice@example.com"', true],
    ['userName eq "ALICE@Example.COM"', true], // RFC 7643 §4.1.1: caseExact false
    ['USERNAME Eq "alice@example.com"', true], // attribute names and operators are case-insensitive
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "alice@example.com"', true],
    ['userName ne "bob@example.com"', true],
    ['userName co "@EXAMPLE"', true],
    ['userName sw "alice"', true],
    ['userName ew ".com"', true],
    ['userName ew ".org"', false],
    ['externalId eq "ext-1"', false], // externalId is caseExact
    ['externalId eq "EXT-1"', true],
    ['id eq "usr_alice"', true],
    ['title pr', false],
    ['name.givenName pr', true],
    ['name.familyName eq "liddell"', true],
    ['active eq true', true],
    ['active eq false', false],
    ['active ne false', true],
    ['meta.lastModified gt "2026-05-01T00:00:00Z"', true],
    ['meta.lastModified lt "2026-05-01T00:00:00Z"', false],
    ['meta.created ge "2026-01-01T00:00:00Z"', true],
    ['meta.created le "2025-12-31T23:59:59Z"', false],
    ['userName gt "aaa"', true],
    ['userName lt "aaa"', false],
    ['emails co "home.example"', true], // complex multi-valued without sub-attribute: its value
    ['emails.type eq "home"', true],
    ['emails[type eq "work" and value co "@example.com"]', true],
    ['emails[type eq "home" and primary eq true]', false],
    ['emails[type eq "work"].value ew "@example.com"', true],
    ['emails[type eq "home"].value ew "@example.com"', false],
    [`${AGENT_EXTENSION}:agents.status eq "suspended"`, true],
    [`${AGENT_EXTENSION}:agents[status eq "active"]`, false],
    ['schemas eq "urn:ietf:params:scim:schemas:core:2.0:User"', true],
    ['nickName eq "x"', false], // unknown attributes match nothing
    ['nickName ne "x"', true],
    ['name.middleName eq null', true],
    ['userName eq null', false],
  ])('%s → %s', (filter, expected) => {
    expect(userMatches(filter)).toBe(expected);
  });
});

describe('RFC 7644 §3.4.2.2 logical operators and precedence', () => {
  it.each([
    ['userName sw "bob" or userName sw "alice" and active eq true', true],
    ['(userName sw "bob" or userName sw "alice") and active eq false', false],
    ['userName sw "bob" or (userName sw "alice" and active eq false)', false],
    ['not (userName sw "bob")', true],
    ['not(userName sw "alice")', false],
    ['not (not (active eq true))', true],
    ['userName pr and not (title pr) and (emails[type eq "work"] or nickName pr)', true],
  ])('%s → %s', (filter, expected) => {
    expect(userMatches(filter)).toBe(expected);
  });

  it('and binds tighter than or', () => {
    expect(parseFilter('a pr or b pr and c pr')).toEqual({
      kind: 'or',
      left: { kind: 'present', path: { uri: null, attr: 'a', sub: null } },
      right: { kind: 'and', left: { kind: 'present', path: { uri: null, attr: 'b', sub: null } }, right: { kind: 'present', path: { uri: null, attr: 'c', sub: null } } },
    });
  });

  it('string literals take JSON escapes', () => {
    expect(parseFilter('displayName eq "A \\"quoted\\" \\u00e9"')).toMatchObject({ value: 'A "quoted" é' });
  });
});

describe('invalid filters → invalidFilter', () => {
  it.each([
    '',
    'userName',
    'userName eq',
    'userName eq alice',
    'userName zz "x"',
    '(userName eq "x"',
    'userName eq "x")',
    'userName eq "x" and',
    'userName eq "unterminated',
    'emails[type eq "work"',
    'emails[type[x eq 1] eq 2]',
    'not userName eq "x"',
    '"x" eq userName',
    'userName eq "x" userName eq "y"',
    '#',
    `${'('.repeat(40)}a pr${')'.repeat(40)}`,
    'a eq 1e999',
  ])('%j', (filter) => {
    expect(scimTypeOf(() => parseFilter(filter))).toBe('invalidFilter');
  });

  it.each([
    'active gt true', // booleans: eq and ne only
    'active eq "true"',
    'userName eq 5',
    'userName gt null',
    'meta.created gt "not a date"',
    'name eq "x"', // complex without a value sub-attribute
    'userName[value eq "x"]', // value filter on a simple attribute
  ])('type check: %s', (filter) => {
    expect(scimTypeOf(() => checkFilter(parseFilter(filter), resourceScope(USER)))).toBe('invalidFilter');
  });

  it('a filter longer than the limit is refused without being tokenized', () => {
    expect(scimTypeOf(() => parseFilter(`userName eq "${'a'.repeat(5000)}"`))).toBe('invalidFilter');
  });
});

describe('PATCH paths (RFC 7644 §3.5.2)', () => {
  it('parses attribute, sub-attribute, URN and value-filter paths', () => {
    expect(parsePatchPath('members')).toEqual({ path: { uri: null, attr: 'members', sub: null }, filter: null, sub: null });
    expect(parsePatchPath('name.givenName')).toEqual({ path: { uri: null, attr: 'name', sub: 'givenName' }, filter: null, sub: null });
    expect(parsePatchPath('emails[type eq "work"].value')).toMatchObject({ path: { attr: 'emails' }, filter: { kind: 'compare', op: 'eq', value: 'work' }, sub: 'value' });
    expect(parsePatchPath('urn:ietf:params:scim:schemas:core:2.0:User:userName')).toMatchObject({ path: { uri: 'urn:ietf:params:scim:schemas:core:2.0:User', attr: 'userName' } });
  });

  it.each(['', 'members[', 'members[value eq "x"', 'name.givenName[x eq 1]', 'members and', 'members[value eq "x"]x'])('malformed path %j → invalidPath', (path) => {
    expect(scimTypeOf(() => parsePatchPath(path))).toBe('invalidPath');
  });
});

describe('property: the parser never throws anything but a SCIM error of its kind', () => {
  const pieces = fc.constantFrom(
    'userName', 'emails', 'emails.value', 'urn:ietf:params:scim:schemas:core:2.0:User:userName', 'meta.created', 'active', 'members',
    ' eq ', ' ne ', ' co ', ' sw ', ' ew ', ' gt ', ' ge ', ' lt ', ' le ', ' pr', ' and ', ' or ', 'not ', 'not',
    '(', ')', '[', ']', '.value', '"x"', '"\\u00e9"', '"\\x"', '"', '1', '-2.5e3', 'true', 'false', 'null', ' ', '\\', '\u0000', 'é', '1e999',
  );
  const filterish = fc.oneof(fc.string({ maxLength: 200 }), fc.array(pieces, { maxLength: 40 }).map((a) => a.join('')));

  it('parseFilter: a Filter or invalidFilter; checking and evaluating a parsed filter never fails otherwise', () => {
    fc.assert(
      fc.property(filterish, (text) => {
        let parsed;
        try {
          parsed = parseFilter(text);
        } catch (err) {
          return err instanceof ScimError && err.status === 400 && err.scimType === 'invalidFilter';
        }
        for (const schema of [USER, GROUP]) {
          try {
            checkFilter(parsed, resourceScope(schema));
          } catch (err) {
            if (!(err instanceof ScimError && err.scimType === 'invalidFilter')) return false;
            continue;
          }
          expect(typeof matches(parsed, alice, resourceScope(schema))).toBe('boolean');
        }
        return true;
      }),
      { numRuns: 3000 },
    );
  });

  it('parsePatchPath: a path or invalidPath', () => {
    fc.assert(
      fc.property(filterish, (text) => {
        try {
          parsePatchPath(text);
          return true;
        } catch (err) {
          return err instanceof ScimError && err.scimType === 'invalidPath';
        }
      }),
      { numRuns: 2000 },
    );
  });
});
