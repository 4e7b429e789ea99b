/**
 * CO-1 at the jwt-bearer grant: an access token of no grant (a workload assertion, RFC 7523 §2.1,
 * or an ID-JAG, draft-ietf-oauth-identity-assertion-authz-grant §4.3) rests on its client alone.
 * Deleting the client revokes its grant-less tokens in one transaction (clients/lifecycle.ts); the
 * token was signed after the client authenticated, before the issuing transaction. A deletion that
 * commits while the token is signed must win: the issuing transaction re-reads the client
 * (grants/shared/client-liveness.ts) and answers invalid_client with nothing stored — else a token
 * of a deleted client would live on, unrevoked and unpublished.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteClient } from '../../src/clients/lifecycle.ts';
import { TokenAuditEvent } from '../../src/grants/shared/audit.ts';
import { beforeNextTransaction } from '../helpers/transaction-hooks.ts';
import { CI_SUB, PARTNER_SECRET, signAssertion, startFederationServer, type FederationServer } from './support.ts';
import type { JsonResponse } from '../token/fixtures.ts';

describe.each(['sqlite', 'postgres'] as const)('CO-1 jwt-bearer issuance racing its client\'s deletion (%s)', (backend) => {
  let f: FederationServer;
  beforeAll(async () => {
    f = await startFederationServer(backend);
  });
  afterAll(async () => {
    await f?.close();
  });

  async function racingDeletion(clientId: string, request: () => Promise<JsonResponse>): Promise<JsonResponse> {
    const race = beforeNextTransaction(f.srv.ctx.storage, () => deleteClient(f.srv.ctx, clientId, 'client_deleted'));
    let res: JsonResponse;
    try {
      res = await request();
    } finally {
      race.undo();
    }
    expect(await race.concurrent).toBe(true);
    return res;
  }

  async function expectRefusedInTransaction(clientId: string, res: JsonResponse): Promise<void> {
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect(res.body.access_token).toBeUndefined();
    const [failure] = await f.srv.ctx.storage.audit.list({ event: TokenAuditEvent.Failed, clientId });
    expect(failure?.reason).toBe('invalid_client: client deleted while the token was issued');
    expect(await f.srv.ctx.storage.audit.list({ event: TokenAuditEvent.Issued, clientId })).toEqual([]);
  }

  it('an ID-JAG: the deletion committed while the token was signed wins', async () => {
    const assertion = await signAssertion(f.idpKey, f.idJagClaims(), { typ: 'oauth-id-jag+jwt' });
    const res = await racingDeletion('partner-app', () => f.token({ assertion }, ['partner-app', PARTNER_SECRET]));
    await expectRefusedInTransaction('partner-app', res);
  });

  it('a workload assertion: the deletion committed while the token was signed wins', async () => {
    const assertion = await signAssertion(f.ciKey, f.workloadClaims(CI_SUB));
    const res = await racingDeletion('ci-deployer', () => f.token({ assertion, client_id: 'ci-deployer' }));
    await expectRefusedInTransaction('ci-deployer', res);
  });
});
