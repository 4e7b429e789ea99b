/**
 * A Mandate user as a SCIM User resource (RFC 7643 §4.1). userName is the login — the user's
 * email at Mandate; displayName is the user's name; active is the inverse of `disabled`.
 * The user's agents appear under the agent extension (resource-schemas.ts explains why).
 */
import type { AgentRecord, GroupRecord, ScimUserAttributes, UserRecord } from '../storage/records.ts';
import { isoTime, scimUrl } from './paths.ts';
import { AGENT_EXTENSION, USER_SCHEMA } from './resource-schemas.ts';

export interface UserParts {
  user: UserRecord;
  attributes: ScimUserAttributes;
  agents: AgentRecord[];
  groups: GroupRecord[];
}

export function userResource(issuer: string, p: UserParts): Record<string, unknown> {
  const { user, attributes } = p;
  const location = scimUrl(issuer, `/Users/${user.id}`);
  return {
    schemas: p.agents.length > 0 ? [USER_SCHEMA, AGENT_EXTENSION] : [USER_SCHEMA],
    id: user.id,
    ...(attributes.externalId !== null ? { externalId: attributes.externalId } : {}),
    userName: user.email,
    ...(attributes.name ? { name: attributes.name } : {}),
    displayName: user.name,
    active: !user.disabled,
    emails: attributes.emails ?? [{ value: user.email, type: 'work', primary: true }],
    ...(p.groups.length > 0
      ? { groups: p.groups.map((g) => ({ value: g.id, $ref: scimUrl(issuer, `/Groups/${g.id}`), display: g.displayName, type: 'direct' })) }
      : {}),
    ...(p.agents.length > 0
      ? {
          [AGENT_EXTENSION]: {
            agents: p.agents.map((a) => ({
              value: a.id,
              display: a.name,
              description: a.description,
              status: a.status,
              allowedScopes: a.allowedScopes,
              allowedAudiences: a.allowedAudiences,
              ...(a.clientId !== null ? { clientId: a.clientId } : {}),
            })),
          },
        }
      : {}),
    meta: { resourceType: 'User', created: isoTime(user.createdAt), lastModified: isoTime(user.updatedAt), location },
  };
}
