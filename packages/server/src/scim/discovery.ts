/**
 * Service provider configuration (RFC 7643 §5, RFC 7644 §4): what this server supports, its
 * resource types and the schemas of resource-schemas.ts. Served without authentication — nothing
 * here is secret and clients read it before they hold a token (RFC 7644 §4 allows this).
 */
import { notFound } from './errors.ts';
import { MAX_RESULTS } from './list.ts';
import { MAX_OPERATIONS } from './patch-request.ts';
import { MAX_BODY_BYTES } from './body.ts';
import { isoTime, scimUrl } from './paths.ts';
import { GROUP, USER } from './resource-schemas.ts';
import type { ResourceSchema, SchemaDef } from './schema-types.ts';

const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
export const RESOURCE_SCHEMAS: readonly ResourceSchema[] = [USER, GROUP];

export function serviceProviderConfig(issuer: string): Record<string, unknown> {
  return {
    schemas: [SPC_SCHEMA],
    documentationUri: 'https://datatracker.ietf.org/doc/html/rfc7644',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: true },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: `A Mandate access token with the mandate:scim scope (client_credentials at ${issuer}/token). At most ${MAX_OPERATIONS} PATCH operations and ${MAX_BODY_BYTES} bytes per request.`,
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: scimUrl(issuer, '/ServiceProviderConfig'), created: isoTime(0), lastModified: isoTime(0) },
  };
}

export function resourceType(issuer: string, r: ResourceSchema): Record<string, unknown> {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: r.name,
    name: r.name,
    endpoint: r.endpoint,
    description: r.core.description,
    schema: r.core.id,
    schemaExtensions: r.extensions.map((e) => ({ schema: e.id, required: false })),
    meta: { resourceType: 'ResourceType', location: scimUrl(issuer, `/ResourceTypes/${r.name}`) },
  };
}

export function schemaResource(issuer: string, s: SchemaDef): Record<string, unknown> {
  return { schemas: [SCHEMA_SCHEMA], id: s.id, name: s.name, description: s.description, attributes: s.attributes, meta: { resourceType: 'Schema', location: scimUrl(issuer, `/Schemas/${s.id}`) } };
}

export function allSchemas(): SchemaDef[] {
  return RESOURCE_SCHEMAS.flatMap((r) => [r.core, ...r.extensions]);
}

export function findResourceType(name: string): ResourceSchema {
  const r = RESOURCE_SCHEMAS.find((x) => x.name === name);
  if (!r) throw notFound(`No resource type ${name}.`);
  return r;
}

export function findSchema(id: string): SchemaDef {
  const s = allSchemas().find((x) => x.id.toLowerCase() === id.toLowerCase());
  if (!s) throw notFound(`No schema ${id}.`);
  return s;
}
