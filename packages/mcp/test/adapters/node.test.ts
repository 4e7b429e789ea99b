/**
 * The Node adapter: the request URL is rebuilt on the resource's origin from the request target's
 * path and query only. A target carrying an authority (`//evil.example/mcp` resolves to that host;
 * absolute-form `http://evil.example/mcp`, RFC 9112 §3.2.2) must not become the URL DPoP htu is
 * checked against, or a proof made for another server at the same path would be accepted here.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import type { TokenServer } from '../../../server/test/token/fixtures.ts';
import { createMandateMcp, nodeMcpListener } from '../../src/index.ts';
import { hrTools, startAs } from '../support/setup.ts';
import { htuFollowsTheResource, postListTools as post, serveOnLoopback } from './request-target.ts';

const RESOURCE = 'https://hr.example/mcp';

let as: TokenServer;
let served: Awaited<ReturnType<typeof serveOnLoopback>>;

beforeAll(async () => {
  as = await startAs();
  const mcp = createMandateMcp({ resource: RESOURCE, issuer: as.issuer, serverInfo: { name: 'hr-node', version: '1' }, tools: hrTools(), dpop: { algs: ['ES256'] } });
  served = await serveOnLoopback(nodeMcpListener(mcp));
});
afterAll(async () => {
  await served?.close();
  await as?.close();
});

const postListTools = (target: string, htu: string) => post(as, served.port, RESOURCE, target, htu);

describe('RFC 9449 §4.3 (9) htu: a request target naming another host does not move the URL checked', () => {
  for (const target of ['//evil.example/mcp', 'http://evil.example/mcp']) {
    htuFollowsTheResource(target, RESOURCE, postListTools);
  }
});
