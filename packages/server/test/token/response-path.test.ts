/**
 * The token endpoint's fast path (issue 2) keeps its behaviour: request headers read from Node's
 * raw fields join repeated fields like `Headers.get` (a doubled credential fails), and the
 * response carries the RFC 6749 §5.1 headers and the security headers exactly once, whether the
 * app runs behind its own server, in-process, or mounted on someone else's Node server.
 */
import { request as httpRequest } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECURITY_HEADERS } from '../../src/http/security-headers.ts';
import { SECRET, startTokenServer, type TokenServer } from './fixtures.ts';

const FORM = 'application/x-www-form-urlencoded';
const BODY = 'grant_type=client_credentials&scope=mcp%3Aread';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const RS_BASIC = basic('resource-server', SECRET.rs);

interface RawResponse {
  status: number;
  /** Node's raw header list: name, value, name, value… (repeats kept). */
  raw: string[];
  body: Record<string, unknown>;
}

/** A request with exact header fields, repeats included (fetch would join them into one). */
function rawPost(url: string, fields: [string, string][], body: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, raw: res.rawHeaders, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
    });
    req.on('error', reject);
    const grouped = new Map<string, string[]>();
    for (const [name, value] of [...fields, ['content-length', String(Buffer.byteLength(body))] as [string, string]]) grouped.set(name, [...(grouped.get(name) ?? []), value]);
    for (const [name, values] of grouped) req.setHeader(name, values.length === 1 ? (values[0] as string) : values);
    req.end(body);
  });
}

function count(raw: string[], name: string): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if ((raw[i] as string).toLowerCase() === name.toLowerCase()) n++;
  return n;
}

function headerValue(raw: string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if ((raw[i] as string).toLowerCase() === name.toLowerCase()) return raw[i + 1];
  return undefined;
}

describe('token endpoint fast path', () => {
  let server: TokenServer;
  beforeAll(async () => {
    server = await startTokenServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  describe('RFC 6749 §5.1 response headers over the Node server', () => {
    it('sends Cache-Control, Pragma, JSON and every security header exactly once', async () => {
      const res = await rawPost(server.tokenUrl, [['authorization', RS_BASIC], ['content-type', FORM]], BODY);
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('Bearer');
      expect(headerValue(res.raw, 'cache-control')).toBe('no-store');
      expect(headerValue(res.raw, 'pragma')).toBe('no-cache');
      expect(headerValue(res.raw, 'content-type')).toMatch(/^application\/json/);
      for (const [name, value] of SECURITY_HEADERS) {
        expect(count(res.raw, name), name).toBe(1);
        expect(headerValue(res.raw, name)).toBe(value);
      }
    });
  });

  describe('RFC 6749 §2.3.1 credentials read from the raw request fields', () => {
    it('refuses two Authorization fields, even when one of them is right (no field is picked)', async () => {
      const res = await rawPost(server.tokenUrl, [['authorization', RS_BASIC], ['authorization', basic('resource-server', 'wrong')], ['content-type', FORM]], BODY);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
      // RFC 6749 §5.2: Basic was tried, so the challenge is sent.
      expect(headerValue(res.raw, 'www-authenticate')).toMatch(/^Basic /);
    });

    it('refuses two Content-Type fields as a body that is not a form', async () => {
      const res = await rawPost(server.tokenUrl, [['authorization', RS_BASIC], ['content-type', FORM], ['content-type', FORM]], BODY);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });

    it('finds header names in any letter case', async () => {
      const res = await rawPost(server.tokenUrl, [['AuThOrIzAtIoN', RS_BASIC], ['CONTENT-TYPE', FORM]], BODY);
      expect(res.status).toBe(200);
    });

    it('RFC 9449 §4.3: refuses two DPoP fields', async () => {
      const res = await rawPost(server.tokenUrl, [['authorization', RS_BASIC], ['content-type', FORM], ['dpop', 'a.b.c'], ['dpop', 'd.e.f']], BODY);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_dpop_proof');
    });
  });

  describe('without Mandate’s own Node server', () => {
    it('in-process app.fetch: the token response carries the security headers itself', async () => {
      const res = await server.ts.server.app.fetch(
        new Request(server.tokenUrl, { method: 'POST', headers: { authorization: RS_BASIC, 'content-type': FORM }, body: BODY }),
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('pragma')).toBe('no-cache');
      for (const [name, value] of SECURITY_HEADERS) expect(res.headers.get(name)).toBe(value);
    });

    it('mounted on another Node server: the security headers are still sent, once', async () => {
      const other = await new Promise<ServerType>((resolve) => {
        const s = serve({ fetch: server.ts.server.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
      });
      try {
        const address = other.address();
        const port = typeof address === 'object' && address ? address.port : 0;
        const res = await rawPost(`http://127.0.0.1:${port}/token`, [['authorization', RS_BASIC], ['content-type', FORM]], BODY);
        expect(res.status).toBe(200);
        for (const [name, value] of SECURITY_HEADERS) {
          expect(count(res.raw, name), name).toBe(1);
          expect(headerValue(res.raw, name)).toBe(value);
        }
      } finally {
        await new Promise<void>((resolve) => other.close(() => resolve()));
      }
    });
  });
});
