/**
 * The admin API's OpenAPI 3.1 document, generated from the same zod schemas that guard the
 * routes (route.ts). OpenAPI 3.1 schemas are JSON Schema 2020-12, which `z.toJSONSchema` emits:
 * request shapes with io 'input' (defaults optional), responses with io 'output'.
 */
import { z } from 'zod';
import { ADMIN_SCOPE, Paths } from '../endpoints/paths.ts';
import type { AdminRoute } from './route.ts';
import { ErrorSchema } from './schemas.ts';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** Hono `:name` segments become OpenAPI `{name}` templates. */
export function openApiPath(path: string): string {
  return `${Paths.admin}${path}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query'): JsonSchema[] {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => ({
    name,
    in: location,
    // A field that accepts undefined (optional or defaulted) is not required.
    required: location === 'path' || !field.safeParse(undefined).success,
    ...(field.description ? { description: field.description } : {}),
    schema: jsonSchema(field, 'input'),
  }));
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (error, error_description).',
  401: 'Missing, invalid, expired or revoked access token (WWW-Authenticate: Bearer).',
  403: `The token lacks the ${ADMIN_SCOPE} scope, or its user or client is not an administrator.`,
  404: 'No such object.',
};

function operation(route: AdminRoute): JsonSchema {
  const errorResponse = (status: number) => [String(status), { description: ERROR_DESCRIPTIONS[status] ?? 'Error.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }];
  const success = route.success.schema
    ? { description: route.success.description, content: { 'application/json': { schema: jsonSchema(route.success.schema, 'output') } } }
    : { description: route.success.description };
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    security: [{ mandateAdmin: [ADMIN_SCOPE] }],
    parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
    responses: Object.fromEntries([[String(route.success.status), success], ...[400, 401, 403, ...(route.errors ?? [])].map(errorResponse)]),
  };
}

export function buildOpenApiDocument(routes: readonly AdminRoute[], issuer: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  paths[Paths.openapi] = {
    get: {
      operationId: 'getOpenApiDocument',
      summary: 'This document (no authentication).',
      tags: ['meta'],
      security: [],
      responses: { '200': { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Mandate admin API',
      version: '1',
      description: `Clients, users, consents, grants, signing keys and the audit trail. Every operation needs a Mandate access token (Bearer, RFC 9068) with the ${ADMIN_SCOPE} scope whose audience is the issuer.`,
    },
    servers: [{ url: issuer }],
    paths,
    components: {
      schemas: { Error: jsonSchema(ErrorSchema, 'output') },
      securitySchemes: {
        mandateAdmin: {
          type: 'oauth2',
          description: `Mandate access tokens carrying ${ADMIN_SCOPE}: a service client registered with that scope (client_credentials) or an administrator user (authorization_code).`,
          flows: {
            clientCredentials: { tokenUrl: `${issuer}${Paths.token}`, scopes: { [ADMIN_SCOPE]: 'Administer Mandate.' } },
            authorizationCode: {
              authorizationUrl: `${issuer}${Paths.authorization}`,
              tokenUrl: `${issuer}${Paths.token}`,
              scopes: { [ADMIN_SCOPE]: 'Administer Mandate.' },
            },
          },
        },
      },
    },
  };
}
