import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRoutes } from '../../src/admin/routes.ts';
import { openApiPath } from '../../src/admin/openapi.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { mintToken, startAdminServer } from './support.ts';

let s: TestServer;
let doc: any;
beforeAll(async () => {
  s = await startAdminServer();
  const res = await fetch(`${s.issuer}/admin/v1/openapi.json`);
  expect(res.status).toBe(200);
  doc = await res.json();
});
afterAll(() => s.close());

function collectRefs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => collectRefs(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

describe('OpenAPI 3.1 document generated from the admin route schemas', () => {
  it('is served without authentication and declares OpenAPI 3.1 with the oauth2 admin scope', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: s.issuer }]);
    expect(doc.components.securitySchemes.mandateAdmin.flows.clientCredentials).toEqual({ tokenUrl: `${s.issuer}/token`, scopes: { 'mandate:admin': expect.any(String) } });
  });

  it('documents every admin route, with its operationId, path parameters and responses', () => {
    for (const route of adminRoutes) {
      const op = doc.paths[openApiPath(route.path)]?.[route.method];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      expect(op.operationId).toBe(route.operationId);
      expect(op.security).toEqual([{ mandateAdmin: ['mandate:admin'] }]);
      const templated = [...openApiPath(route.path).matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(op.parameters.filter((p: { in: string }) => p.in === 'path').map((p: { name: string }) => p.name)).toEqual(templated);
      expect(op.responses[String(route.success.status)]).toBeDefined();
      expect(op.responses['401']).toBeDefined();
      if (route.body) expect(op.requestBody.content['application/json'].schema.type).toBe('object');
    }
    const documented = Object.values(doc.paths).reduce((n: number, ops) => n + Object.keys(ops as object).length, 0);
    expect(documented).toBe(adminRoutes.length + 1); // + the document itself
  });

  it('derives request and response schemas from the zod guards', () => {
    const createClient = doc.paths['/admin/v1/clients'].post;
    const body = createClient.requestBody.content['application/json'].schema;
    expect(body.properties.token_endpoint_auth_method.enum).toEqual(['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt']);
    expect(body.properties.redirect_uris.type).toBe('array');
    const listClients = doc.paths['/admin/v1/clients'].get;
    expect(listClients.parameters.find((p: { name: string }) => p.name === 'limit')).toMatchObject({ in: 'query', required: false, schema: { type: 'integer', maximum: 500 } });
    const createUser = doc.paths['/admin/v1/users'].post.requestBody.content['application/json'].schema;
    expect(createUser.required).toEqual(expect.arrayContaining(['email', 'name', 'password']));
    expect(createUser.properties.password.minLength).toBe(12);
  });

  it('has only resolvable $refs', () => {
    for (const ref of collectRefs(doc)) {
      const target = ref.replace(/^#\//, '').split('/').reduce((node: any, key) => node?.[key], doc);
      expect(target, ref).toBeDefined();
    }
  });

  it('matches the routes the server actually serves', async () => {
    const { token } = await mintToken(s);
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(ops)) {
        if (method === 'post' && path.endsWith('/keys/rotate')) continue; // a write with effects; covered elsewhere
        const url = `${s.issuer}${path.replace(/\{\w+\}/g, 'probe-id')}`;
        const res = await fetch(url, { method: method.toUpperCase(), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: ['post', 'put'].includes(method) ? '{}' : null });
        const body = (await res.json().catch(() => ({}))) as { error_description?: string };
        // Any answer but the router's "No route" 404 proves the documented route exists.
        expect(body.error_description ?? '', `${method} ${path}`).not.toMatch(/^No route/);
        expect(res.status, `${method} ${path}`).toBeLessThan(500);
      }
    }
  });
});
