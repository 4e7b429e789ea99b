/**
 * HU-1 TOTP enrolment confirmed by two logins of one user at once. Finishing an enrolment consumes
 * every pending enrolment of the user (storage totpEnrollments.consume), but a second login can
 * show a fresh secret after that and have its code confirmed before the first login's secret is
 * stored. Both then reach the transaction that writes the user row (interaction/steps/
 * totp-enrollment.ts): it reads the row with users.getForUpdate and stores a secret only when the
 * row has none yet, so exactly one secret is stored, one login completes with it, and the other is
 * asked for a code of that secret. Without the row lock (PostgreSQL, READ COMMITTED) both read the
 * row without a secret: the later write replaces the earlier one's secret, and a session stands on
 * a secret the account no longer has.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'otplib';
import type { ClientRecord } from '../../src/storage/records.ts';
import type { Storage } from '../../src/storage/storage.ts';
import { startTestServer, type Backend, type TestServer } from '../helpers/test-server.ts';
import { beforeNextTransaction, hookTransactions, interleaveAtRead } from '../helpers/transaction-hooks.ts';
import { TestBrowser } from './support/browser.ts';
import { startAuthorization } from './support/login-server.ts';
import { createClient, createUser, type TestUser } from './support/fixtures.ts';
import { enrollmentForm, enrollmentSecret, location, openPage, submitPassword, type Page } from './support/flow.ts';

const SESSION = '__Host-mandate_session';

/** A login of `user` in a fresh browser, past the password: the next page would show a TOTP secret to enrol. */
interface Login {
  browser: TestBrowser;
  url: string;
}

/** What a login's confirmation ended with: the final response and the secret it confirmed. */
interface Confirmation {
  res: Response;
  secret: string;
}

interface RaceServer {
  ts: () => TestServer;
  /** A login of `user` in a fresh browser, past the password. */
  passwordLogin: (user: TestUser) => Promise<Login>;
  /** Confirms the secret an enrolment page of `login` shows with its current code. */
  submit: (login: Login, page: Page) => Promise<Confirmation>;
  /** Opens the enrolment page of `login`, then submits it. */
  confirm: (login: Login) => Promise<Confirmation>;
  /** The secret stored on the account, and how many enrolments were audited for it. */
  enrolled: (user: TestUser) => Promise<{ secret: string; audited: number }>;
}

/** beforeAll/afterAll: a login server on `backend` with one registered client. */
function useRaceServer(backend: Backend): RaceServer {
  let ts: TestServer | undefined;
  let client: ClientRecord | undefined;
  beforeAll(async () => {
    ts = await startTestServer({ login: { maxFailures: 100 } }, backend);
    client = await createClient(ts.server.ctx);
  });
  afterAll(() => ts?.close());
  const ctx = () => ts!.server.ctx;
  return {
    ts: () => ts!,
    async passwordLogin(user) {
      const browser = new TestBrowser();
      const url = await startAuthorization(browser, ts!, client!);
      expect(location(await submitPassword(browser, url, user.email, user.password))).toBe(url);
      return { browser, url };
    },
    async submit(login, page) {
      const secret = enrollmentSecret(page.html);
      const res = await login.browser.post(page.action, { ...enrollmentForm(page), totp: await generate({ secret, epoch: ctx().now() }) });
      return { res, secret };
    },
    async confirm(login) {
      return this.submit(login, await openPage(login.browser, login.url));
    },
    async enrolled(user) {
      const stored = (await ctx().storage.users.get(user.record.id))!;
      return {
        secret: await ctx().envelope.decrypt(stored.totpSecretEncrypted!, 'totp'),
        audited: (await ctx().storage.audit.list({ event: 'totp_enrollment', userId: user.record.id })).length,
      };
    },
  };
}

describe.each(['sqlite', 'postgres'] as const)('HU-1 TOTP enrolment confirmed by two logins at once (%s)', (backend) => {
  const server = useRaceServer(backend);
  const ctx = () => server.ts().server.ctx;

  it('the login whose write comes second finds the secret of the first stored: no session, asked for a code of that secret', async () => {
    const user = await createUser(ctx(), { totp: false });
    const first = await server.passwordLogin(user);
    const second = await server.passwordLogin(user);
    const page = await openPage(first.browser, first.url);
    // The second login's whole confirmation lands after the first login's code was checked and its
    // enrolment consumed, right before the first login's write transaction opens.
    const race = beforeNextTransaction(ctx().storage, () => server.confirm(second));
    let lost: Confirmation;
    try {
      lost = await server.submit(first, page);
    } finally {
      race.undo();
    }
    const won = (await race.concurrent) as Confirmation;
    expect(location(won.res)).toBe(second.url);
    expect(second.browser.cookie(SESSION)).toBeDefined();
    // The first login: back to its page without a session; the page now asks for a code of the stored secret.
    expect(location(lost.res)).toBe(first.url);
    expect(first.browser.cookie(SESSION)).toBeUndefined();
    expect((await openPage(first.browser, first.url)).html).toContain('id="totp"');
    expect(await server.enrolled(user)).toEqual({ secret: won.secret, audited: 1 });
  });
});

/**
 * The first transaction that reads `userId` runs `concurrent` right after that read, until the
 * concurrent confirmation's own transaction reads the row: to its end when that read returns, or
 * 500 ms when the first transaction's row lock holds it (interleaveAtRead).
 */
function afterFirstUserRead(storage: Storage, userId: string, concurrent: () => Promise<unknown>): { undo: () => void; readonly concurrent: Promise<unknown> } {
  const race = interleaveAtRead(concurrent);
  const undo = hookTransactions(storage, (tx) => ({
    users: {
      ...tx.users,
      get: (id) => (id === userId ? race.read(tx.users.get(id)) : tx.users.get(id)),
      getForUpdate: (id) => (id === userId ? race.read(tx.users.getForUpdate(id)) : tx.users.getForUpdate(id)),
    },
  }));
  return { undo, get concurrent() { return race.concurrent; } };
}

describe('HU-1 TOTP enrolment confirmed inside another login\'s write transaction (postgres)', () => {
  const server = useRaceServer('postgres');
  const ctx = () => server.ts().server.ctx;

  it('a confirmation arriving after the first login read the user row waits for its commit and stores no second secret', async () => {
    const user = await createUser(ctx(), { totp: false });
    const first = await server.passwordLogin(user);
    const second = await server.passwordLogin(user);
    // Right after the first login's transaction read the user row, the second login shows its own
    // secret (the first one's code consumed every pending enrolment of the user) and confirms it.
    const page = await openPage(first.browser, first.url);
    const race = afterFirstUserRead(ctx().storage, user.record.id, () => server.confirm(second));
    let won: Confirmation;
    try {
      won = await server.submit(first, page);
    } finally {
      race.undo();
    }
    expect(location(won.res)).toBe(first.url);
    expect(first.browser.cookie(SESSION)).toBeDefined();
    // The second confirmation waited for the first commit, then found the secret stored: no session for it.
    const lost = (await race.concurrent) as Confirmation;
    expect(lost.secret).not.toBe(won.secret);
    expect(location(lost.res)).toBe(second.url);
    expect(second.browser.cookie(SESSION)).toBeUndefined();
    expect((await openPage(second.browser, second.url)).html).toContain('id="totp"');
    expect(await server.enrolled(user)).toEqual({ secret: won.secret, audited: 1 });
  });
});
