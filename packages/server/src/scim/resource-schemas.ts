/**
 * The User and Group schemas Mandate serves (RFC 7643 §4.1, §4.2) and the agent extension.
 *
 * Agents (ID-2) are published as a read-only extension of User rather than as a resource type
 * of their own: an agent always has exactly one owner and is deprovisioned with that owner, so
 * the owner's User resource is where an identity provider looks for them. Agents are created by
 * their owners with keys and limits (agents/routes.ts) — nothing an identity provider knows — so
 * SCIM does not write them; it shows them, and deactivating the user suspends them.
 */
import { attr, type ResourceSchema } from './schema-types.ts';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const AGENT_EXTENSION = 'urn:mandate:params:scim:schemas:extension:agent:2.0:User';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const readOnly = { mutability: 'readOnly' as const };

export const USER: ResourceSchema = {
  name: 'User',
  endpoint: '/Users',
  core: {
    id: USER_SCHEMA,
    name: 'User',
    description: 'A person who signs in at Mandate.',
    attributes: [
      attr('userName', 'string', 'The login: the user’s email address at Mandate. Unique, compared case-insensitively.', { required: true, uniqueness: 'server' }),
      attr('name', 'complex', 'The components of the user’s name.', {
        subAttributes: ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'].map((n) => attr(n, 'string', `The ${n} part of the name.`)),
      }),
      attr('displayName', 'string', 'The name shown to the user and in consent screens.'),
      attr('active', 'boolean', 'False disables login, suspends the user’s agents and revokes all their grants.'),
      attr('password', 'string', 'A password (at least 12 characters); never returned.', { mutability: 'writeOnly', returned: 'never' }),
      attr('emails', 'complex', 'Email addresses of the user.', {
        multiValued: true,
        subAttributes: [
          attr('value', 'string', 'The address.'),
          attr('display', 'string', 'A label for the address.'),
          attr('type', 'string', 'work, home or other.', { canonicalValues: ['work', 'home', 'other'] }),
          attr('primary', 'boolean', 'The preferred address.'),
        ],
      }),
      attr('groups', 'complex', 'Groups the user is a direct member of.', {
        multiValued: true,
        ...readOnly,
        subAttributes: [
          attr('value', 'string', 'The group id.', { caseExact: true, ...readOnly }),
          attr('$ref', 'reference', 'The group URI.', { caseExact: true, ...readOnly, referenceTypes: ['Group'] }),
          attr('display', 'string', 'The group’s displayName.', readOnly),
          attr('type', 'string', 'Always direct.', { ...readOnly, canonicalValues: ['direct'] }),
        ],
      }),
    ],
  },
  extensions: [
    {
      id: AGENT_EXTENSION,
      name: 'AgentOwner',
      description: 'Agent identities (ID-2) owned by the user. Read-only: agents are managed at /agents; deactivating the user suspends them.',
      attributes: [
        attr('agents', 'complex', 'The user’s agents.', {
          multiValued: true,
          ...readOnly,
          subAttributes: [
            attr('value', 'string', 'The agent id.', { caseExact: true, ...readOnly }),
            attr('display', 'string', 'The agent’s name.', readOnly),
            attr('description', 'string', 'What the agent does.', readOnly),
            attr('status', 'string', 'active or suspended.', { caseExact: true, ...readOnly, canonicalValues: ['active', 'suspended'] }),
            attr('allowedScopes', 'string', 'Scopes the agent may hold.', { multiValued: true, caseExact: true, ...readOnly }),
            attr('allowedAudiences', 'reference', 'Resources the agent may target.', { multiValued: true, caseExact: true, ...readOnly }),
            attr('clientId', 'string', 'The client whose tokens stand for the agent.', { caseExact: true, ...readOnly }),
          ],
        }),
      ],
    },
  ],
};

export const GROUP: ResourceSchema = {
  name: 'Group',
  endpoint: '/Groups',
  core: {
    id: GROUP_SCHEMA,
    name: 'Group',
    description: 'A named set of users.',
    attributes: [
      attr('displayName', 'string', 'The group’s name; unique, compared case-insensitively.', { required: true, uniqueness: 'server' }),
      attr('members', 'complex', 'Users in the group.', {
        multiValued: true,
        subAttributes: [
          attr('value', 'string', 'The user id.', { caseExact: true, mutability: 'immutable' }),
          attr('$ref', 'reference', 'The user URI.', { caseExact: true, mutability: 'immutable', referenceTypes: ['User'] }),
          attr('display', 'string', 'The user’s displayName.', readOnly),
          attr('type', 'string', 'Always User: groups hold users only.', { mutability: 'immutable', canonicalValues: ['User'] }),
        ],
      }),
    ],
  },
  extensions: [],
};
