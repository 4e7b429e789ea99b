/**
 * The Express adapter (which serves through the Node one): the request URL is rebuilt on the
 * resource's origin from the request target's path and query only. A target carrying an authority
 * (absolute-form `http://evil.example/mcp`, RFC 9112 §3.2.2) must not become the URL DPoP htu is
 * checked against, or a proof made for another server at the same path would be accepted here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenServer } from '../../../server/test/token/fixtures.ts';
import express from 'express';
import { createMandateMcp, expressMcp } from '../../src/index.ts';
import { hrTools, startAs } from '../support/setup.ts';
import { htuFollowsTheResource, postListTools as post, serveOnLoopback } from './request-target.ts';

const RESOURCE = 'https://hr.example/mcp';

let as: TokenServer;
let served: Awaited<ReturnType<typeof serveOnLoopback>>;

beforeAll(async () => {
  as = await startAs();
  const mcp = createMandateMcp({ resource: RESOURCE, issuer: as.issuer, serverInfo: { name: 'hr-express', version: '1' }, tools: hrTools(), dpop: { algs: ['ES256'] } });
  const app = express();
  app.use(expressMcp(mcp));
  served = await serveOnLoopback(app);
});
afterAll(async () => {
  await served?.close();
  await as?.close();
});

const postListTools = (target: string, htu: string) => post(as, served.port, RESOURCE, target, htu);

describe('RFC 9449 §4.3 (9) htu: a request target naming another host does not move the URL checked', () => {
  // Express reads `//evil.example/mcp` as the path `//evil.example/mcp` (origin-form, RFC 9112
  // §3.2.1): no route matches, so it never reaches the MCP endpoint, whatever its proof says.
  for (const htu of ['https://evil.example/mcp', RESOURCE]) {
    it(`does not serve //evil.example/mcp at all (404), with a proof for ${htu}`, async () => {
      const res = await postListTools('//evil.example/mcp', htu);
      expect(res.status).toBe(404);
      expect(res.body?.result).toBeUndefined();
    });
  }

  for (const target of ['http://evil.example/mcp']) {
    htuFollowsTheResource(target, RESOURCE, postListTools);
  }
});
