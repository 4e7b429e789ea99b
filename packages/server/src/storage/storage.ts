/**
 * The one storage interface. SQLite (embedded default) and PostgreSQL implement it;
 * test/storage/contract.test.ts runs the same suite against both.
 *
 * Rules every implementation keeps:
 * - Single-use transitions (code consumption, refresh rotation, PAR and interaction use)
 *   are atomic compare-and-set: exactly one concurrent caller wins.
 * - `transaction` runs its callback against a Storage bound to one database transaction;
 *   nothing is half-written when the callback throws.
 * - Methods never throw for "not found": they return null / false.
 */
import type {
  AccessTokenRecord,
  AgentRecord,
  PasskeyRecord,
  RevocationEventRecord,
  AuditEventInput,
  AuditEventRecord,
  AuthorizationCodeRecord,
  CimdCacheRecord,
  ClientRecord,
  ConsentRecord,
  GrantRecord,
  IdTokenRecord,
  InteractionRecord,
  ParRecord,
  RefreshTokenRecord,
  SessionRecord,
  SigningKeyRecord,
  UserRecord,
} from './records.ts';
import type { ScimStorage, TotpEnrollmentStorage, UpstreamIdentityStorage, VaultStorage } from './storage-vault-identity.ts';

/** What an issuance re-reads of a grant and its ancestors (grants.lockAncestry). */
export interface GrantLiveness {
  id: string;
  revokedAt: number | null;
  revokedReason: string | null;
}

export interface Page {
  limit?: number;
  offset?: number;
}

export interface Storage {
  readonly kind: 'sqlite' | 'postgres';

  /** Runs pending migrations. Idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  transaction<T>(fn: (tx: Storage) => Promise<T>): Promise<T>;

  clients: {
    get(clientId: string): Promise<ClientRecord | null>;
    /** `get` inside a transaction that writes the client, locking the row until commit (PostgreSQL `for update`; never cached). */
    getForUpdate(clientId: string): Promise<ClientRecord | null>;
    /** Whether the client row exists, inside an issuing transaction, locking it against a concurrent deletion until commit (PostgreSQL `for key share`; never cached). */
    existsForShare(clientId: string): Promise<boolean>;
    create(record: ClientRecord): Promise<void>;
    /** Replaces the whole record (RFC 7592 PUT semantics). Returns false when absent. */
    update(record: ClientRecord): Promise<boolean>;
    delete(clientId: string): Promise<boolean>;
    list(page?: Page): Promise<ClientRecord[]>;
  };

  users: {
    get(id: string): Promise<UserRecord | null>;
    /**
     * `get` at the start of a transaction that writes the user: locks the row until commit
     * (PostgreSQL `for update`), so concurrent read-then-update writers queue instead of writing
     * back a stale whole row (update replaces every column). Lock order: the user row first.
     */
    getForUpdate(id: string): Promise<UserRecord | null>;
    /** `get` inside an issuance transaction, locking the row against a concurrent disable until commit (PostgreSQL `for share`). */
    getForShare(id: string): Promise<UserRecord | null>;
    /** Case-insensitive lookup. */
    getByEmail(email: string): Promise<UserRecord | null>;
    create(record: UserRecord): Promise<void>;
    update(record: UserRecord): Promise<boolean>;
    list(page?: Page): Promise<UserRecord[]>;
  };

  sessions: {
    create(record: SessionRecord): Promise<void>;
    get(idHash: string): Promise<SessionRecord | null>;
    /** `get` inside a transaction, locking the row against a concurrent revocation until commit (PostgreSQL `for share`). */
    getForShare(idHash: string): Promise<SessionRecord | null>;
    /** The user's session whose handle (sessions/session-handle.ts) this is, ended ones included; null for another user's. */
    getByHandle(userId: string, handle: string): Promise<SessionRecord | null>;
    revoke(idHash: string, at: number): Promise<boolean>;
    revokeAllForUser(userId: string, at: number): Promise<number>;
    /** The user's sessions, newest first; ended (revoked or expired at `now`) ones only when asked for. */
    listForUser(userId: string, filter: { now: number; includeEnded?: boolean; offset?: number }): Promise<SessionRecord[]>;
    /**
     * CO-1: ends the session and revokes, atomically, every grant created under it (grants.sessionIdHash)
     * with their trees — exchanged grants and all their tokens included (grants.revokeTree).
     * `ended` is false when the session was absent or already revoked; the grants are revoked anyway.
     */
    revokeWithGrants(idHash: string, at: number, reason: string): Promise<{ ended: boolean; revokedGrants: string[] }>;
    /**
     * One keyset chunk of retention: reads the next `limit` sessions with expires_at < before
     * after `after` in (expires_at, id_hash) order (null: from the start) and deletes them
     * (storage/maintenance.ts). `next` is the cursor of the following chunk, null at the walk's end.
     */
    purgeExpired(before: number, limit: number, after?: string | null): Promise<{ deleted: number; next: string | null }>;
  };

  interactions: {
    create(record: InteractionRecord): Promise<void>;
    get(id: string): Promise<InteractionRecord | null>;
    /** Binds a login session to the interaction. */
    setSession(id: string, sessionIdHash: string): Promise<boolean>;
    /** Atomic: returns the record the first time, null when used, expired (per `now`) or absent. */
    consume(id: string, now: number): Promise<InteractionRecord | null>;
    /** Deletes rows with expires_at < before (storage/maintenance.ts); returns how many. */
    purgeExpired(before: number): Promise<number>;
  };

  par: {
    create(record: ParRecord): Promise<void>;
    /** Atomic single use (RFC 9126 §4: one-time use recommended) by the client that pushed it; null for any other client. */
    consume(id: string, clientId: string, now: number): Promise<ParRecord | null>;
    /** Deletes rows with expires_at < before (storage/maintenance.ts); returns how many. */
    purgeExpired(before: number): Promise<number>;
  };

  grants: {
    create(record: GrantRecord): Promise<void>;
    get(id: string): Promise<GrantRecord | null>;
    list(filter: { userId?: string; clientId?: string; agentId?: string; includeRevoked?: boolean } & Page): Promise<GrantRecord[]>;
    /**
     * Revokes the grant, every grant derived from it (parentGrantId, recursively), and all
     * refresh and access tokens of those grants. Returns the ids of the grants revoked.
     */
    revokeTree(id: string, at: number, reason: string): Promise<string[]>;
    /**
     * The grant and all its ancestors (parentGrantId, recursively), in id order; empty when the
     * grant does not exist. Call inside the issuing transaction: on PostgreSQL the rows stay
     * locked `for share` until it ends, so a concurrent revocation either committed first (and
     * shows in revokedAt) or waits and then sees what the transaction wrote (CO-1).
     */
    lockAncestry(id: string): Promise<GrantLiveness[]>;
    /**
     * Revokes every grant an agent acts in (and their trees): suspension stops an agent at once
     * (issue 3). Also the unexpired client_credentials tokens of the agent's client and the trees
     * exchanged from them (grants.subject_token_jti), whose grants are in the result.
     */
    revokeByAgent(agentId: string, at: number, reason: string): Promise<string[]>;
    /** Revokes every grant of a user (and their trees), its unexpired tokens on no grant (ID-JAG) and what was exchanged from them: deprovisioning or session revocation (issue 3). */
    revokeByUser(userId: string, at: number, reason: string): Promise<string[]>;
    /**
     * Deprovisioning's first step, inside its transaction (PostgreSQL; a no-op on SQLite, which
     * serialises whole transactions): locks the user's agents `for update`, then — in one statement,
     * id order — every grant tree it will revoke (the user's, the user's agents', and those exchanged
     * from the tokens on no grant live at `at` of the user and of the agents' clients), then those
     * tokens. Its revocations then take no lock out of issuance's order, nor, after the audit lock, a
     * grant that existed at that statement — only one a concurrent authorization or issuance created
     * for those owners since, which can deadlock with an issuer under it (40P01: issuance and the
     * admin routes retry; SCIM does not and answers 503 — derived-grants.ts lockGrantlessRevocation).
     */
    lockUserTrees(userId: string, at: number): Promise<void>;
    /** Client deletion's, likewise (clients/lifecycle.ts): the client's trees, those exchanged from its tokens on no grant live at `at`, then those tokens. */
    lockClientTrees(clientId: string, at: number): Promise<void>;
  };

  codes: {
    create(record: AuthorizationCodeRecord): Promise<void>;
    /**
     * Atomic compare-and-set on consumedAt. `first` is true for the one caller that consumed it;
     * a replayed code returns the record with `first: false` so the caller can revoke its grant.
     */
    consume(codeHash: string, now: number): Promise<{ record: AuthorizationCodeRecord; first: boolean } | null>;
    /**
     * One keyset chunk of retention: looks at the next `limit` codes with expires_at < before
     * after `after` in (expires_at, code_hash) order (null: from the start) and deletes those unconsumed,
     * or consumed for a grant whose tree holds no token unrevoked and unexpired at `before`
     * (storage/maintenance.ts). `next` is the cursor of the following chunk, null at the table's end.
     */
    purgeExpired(before: number, limit: number, after?: string | null): Promise<{ deleted: number; next: string | null }>;
  };

  refreshTokens: {
    create(record: RefreshTokenRecord): Promise<void>;
    get(tokenHash: string): Promise<RefreshTokenRecord | null>;
    /**
     * Atomic compare-and-set on rotatedAt. `first` false means the token was already rotated:
     * reuse, and the caller revokes the grant family (RFC 9700 §4.14.2).
     */
    rotate(tokenHash: string, now: number): Promise<{ record: RefreshTokenRecord; first: boolean } | null>;
    revoke(tokenHash: string, at: number): Promise<boolean>;
    /**
     * One keyset chunk of retention: looks at the next `limit` rows after `after` (primary-key
     * order; null: from the start) and deletes those expired before `before`, or of a grant revoked
     * before `before`, that were never rotated or whose grant tree holds no live token. A rotated
     * row of a live family stays whatever its expiry and its grant's revocation
     * (storage/maintenance.ts). `next` is the cursor of the following chunk, null at the table's end.
     */
    purgeExpired(before: number, limit: number, after?: string | null): Promise<{ deleted: number; next: string | null }>;
  };

  accessTokens: {
    create(record: AccessTokenRecord): Promise<void>;
    get(jti: string): Promise<AccessTokenRecord | null>;
    /** `get` in a token exchange's issuing transaction, locked against revokeWithDerived until commit (PostgreSQL `for share`). */
    getForShare(jti: string): Promise<AccessTokenRecord | null>;
    /** revokeWithDerived, answering whether the token row itself changed (false when absent or already revoked). */
    revoke(jti: string, at: number, reason?: string): Promise<boolean>;
    /**
     * CO-1, one transaction: the token (with its event) and the trees of the grants exchanged from
     * it (grants.subject_token_jti) as grants.revokeTree revokes them — the walk also when the token
     * was already revoked. `reason` defaults to `token_revoked`; `revokedGrants`: those this call revoked.
     * PostgreSQL: the token's own grant is locked first (repositories/derived-grants.ts has the order).
     */
    revokeWithDerived(jti: string, at: number, reason?: string): Promise<{ revoked: boolean; revokedGrants: string[] }>;
    /**
     * Revokes the client's unexpired access tokens on no grant (client_credentials, workload
     * jwt-bearer, ID-JAG; `expires_at > at`: expired ones are refused anyway and keep revoked_at
     * null), with the trees of the grants exchanged from them (grants.subject_token_jti, CO-1), and
     * appends all their revocation events, in one transaction; returns how many tokens.
     * Client deletion calls it before the client row goes (clients/lifecycle.ts).
     */
    revokeGrantlessByClient(clientId: string, at: number, reason: string): Promise<number>;
    /**
     * One retention chunk: deletes up to `limit` rows expired before `before`, oldest expiry first;
     * returns how many (fewer than `limit`: none left). storage/maintenance.ts repeats it.
     */
    purgeExpired(before: number, limit: number): Promise<number>;
  };

  /** ID tokens we issued, by jti (CO-1, migration 0016): the grant each came from. */
  idTokens: {
    create(record: IdTokenRecord): Promise<void>;
    get(jti: string): Promise<IdTokenRecord | null>;
    /** One retention chunk, as accessTokens.purgeExpired. */
    purgeExpired(before: number, limit: number): Promise<number>;
  };

  consents: {
    /** Finds a live consent covering exactly this user + client (scopes and resources checked by the caller). */
    listForUser(userId: string, filter?: { clientId?: string; includeRevoked?: boolean }): Promise<ConsentRecord[]>;
    get(id: string): Promise<ConsentRecord | null>;
    create(record: ConsentRecord): Promise<void>;
    /** Marks the consent revoked only (false when absent or already revoked): revocation is revokeWithGrants. */
    revoke(id: string, at: number): Promise<boolean>;
    /**
     * CO-1: marks the consent revoked, then revokes every grant resting on it with their trees
     * (grants.revokeTree's walk: derived grants, refresh and access tokens, revocation events), in one
     * transaction. `revoked` is false when the consent was absent or already revoked; the grants are revoked anyway.
     */
    revokeWithGrants(id: string, at: number, reason: string): Promise<{ revoked: boolean; revokedGrants: string[] }>;
    /** `get` inside a transaction, locking the row against a concurrent revocation until commit (PostgreSQL `for share`). */
    getForShare(id: string): Promise<ConsentRecord | null>;
  };

  signingKeys: {
    list(): Promise<SigningKeyRecord[]>;
    create(record: SigningKeyRecord): Promise<void>;
    /** Marks the key retired and sets how long it stays published. */
    retire(kid: string, at: number, publishUntil: number): Promise<boolean>;
    /** Removes retired keys whose publishUntil has passed. */
    purge(now: number): Promise<number>;
  };

  cimdCache: {
    get(url: string): Promise<CimdCacheRecord | null>;
    put(record: CimdCacheRecord): Promise<void>;
  };

  /** Replay caches (private_key_jwt jti, DPoP jti). */
  replay: {
    /** Records the key; false when it was already present and unexpired (a replay). Expired keys are reclaimed. */
    remember(namespace: string, key: string, expiresAt: number, now: number): Promise<boolean>;
  };

  /** Agent identities (issue 3, ID-2). */
  agents: {
    get(id: string): Promise<AgentRecord | null>;
    /** `get` inside a transaction, locking the row against a concurrent suspension until commit (PostgreSQL `for share`). */
    getForShare(id: string): Promise<AgentRecord | null>;
    getByClientId(clientId: string): Promise<AgentRecord | null>;
    create(record: AgentRecord): Promise<void>;
    update(record: AgentRecord): Promise<boolean>;
    list(filter: { ownerUserId?: string } & Page): Promise<AgentRecord[]>;
  };

  /** The revocation feed resource servers poll (issue 3, CO-1): appended whenever tokens or grants are revoked. */
  revocations: {
    append(events: Omit<RevocationEventRecord, 'seq'>[]): Promise<void>;
    list(filter: { afterSeq?: number; limit?: number; expiresAfter?: number }): Promise<RevocationEventRecord[]>;
    /** Deletes events with expires_at < before: every token they concern is dead by then. Returns how many. */
    purgeExpired(before: number): Promise<number>;
  };

  /** WebAuthn credentials (passkeys, issue 4). */
  passkeys: {
    /** Throws when the credential id is already registered. */
    create(record: PasskeyRecord): Promise<void>;
    get(credentialId: string): Promise<PasskeyRecord | null>;
    /** Oldest first. */
    listForUser(userId: string): Promise<PasskeyRecord[]>;
    /**
     * Atomic compare-and-set on the signature counter: stores the new counter, backup state and
     * time of use only while the stored counter is still `expectedCounter`; false otherwise.
     */
    recordUse(credentialId: string, use: { expectedCounter: number; counter: number; backedUp: boolean; at: number }): Promise<boolean>;
    /** Removes a credential of this user; false when absent or another user's. */
    delete(credentialId: string, userId: string): Promise<boolean>;
  };

  audit: {
    /** Appends to the hash chain (audit/chain.ts computes the hash); serialized across instances. */
    append(event: AuditEventInput, time: number): Promise<AuditEventRecord>;
    list(filter: { afterSeq?: number; userId?: string; clientId?: string; event?: string; limit?: number }): Promise<AuditEventRecord[]>;
    /** The oldest event among `events` whose string data.jti is `jti` (indexed; AU-2 custody), or null. */
    findIssuance(jti: string, events: readonly string[]): Promise<AuditEventRecord | null>;
    /** The same by a string data.id_token_jti: the issuance that signed our ID token `jti` (indexed, migration 0017). */
    findIdTokenIssuance(jti: string, events: readonly string[]): Promise<AuditEventRecord | null>;
    /** The event with this id (indexed), or null. */
    findById(id: string): Promise<AuditEventRecord | null>;
  };

  /** Token vault (issue 5, VA-1/VA-2): connections and sealed per-user entries; storage/vault-storage.ts. */
  vault: VaultStorage;

  /** SCIM 2.0 (issue 5): provisioning attributes of users, and groups (scim-storage.ts). */
  scim: ScimStorage;

  /** SSO federation (issue 5, HU-1/EN-1): linked upstream accounts and pending upstream logins; upstream-identity-storage.ts. */
  upstreamIdentities: UpstreamIdentityStorage;

  /** TOTP secrets shown during a login, waiting for their first code (HU-1); totp-enrollment-storage.ts. */
  totpEnrollments: TotpEnrollmentStorage;
}
