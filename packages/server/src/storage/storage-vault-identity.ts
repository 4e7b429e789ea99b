/**
 * The parts of the Storage interface (storage.ts) that issue 5 added: the token vault, SCIM
 * attributes and groups, linked upstream identities and pending TOTP enrolments. Implemented in
 * vault-storage.ts, scim-storage.ts, upstream-identity-storage.ts and totp-enrollment-storage.ts.
 */
import type { Page } from './storage.ts';
import type { GroupRecord, ScimUserAttributes, UpstreamIdentityRecord, UpstreamLoginStateRecord, VaultConnectionRecord, VaultEntryRecord, VaultEntryStatus, VaultSealedRecord } from './records.ts';
import type { TotpEnrollmentRecord } from './totp-enrollment-storage.ts';

/** Token vault (issue 5, VA-1/VA-2): connections and sealed per-user entries; storage/vault-storage.ts. */
export interface VaultStorage {
  connections: {
    /** Throws when the id is taken. */
    create(record: VaultConnectionRecord): Promise<void>;
    get(id: string): Promise<VaultConnectionRecord | null>;
    /** Creation order, paged. */
    list(page?: Page): Promise<VaultConnectionRecord[]>;
    /** Replaces the whole record; false when absent. */
    update(record: VaultConnectionRecord): Promise<boolean>;
    /** Deletes the connection and every entry at it, atomically; false when absent. */
    delete(id: string): Promise<boolean>;
    /** Connections whose client secret is sealed under another KEK than `kekId`, in id order after `afterId`. */
    listNotUnderKek(kekId: string, filter: { afterId?: string; limit: number }): Promise<VaultConnectionRecord[]>;
    /** Key rotation: swaps the wrapped key only while the stored one is still `expected` (compare-and-set). */
    rewrapSecret(id: string, expected: VaultSealedRecord, next: VaultSealedRecord): Promise<boolean>;
  };
  entries: {
    /** Throws when the id is taken or the user already has an entry at the connection. */
    create(record: VaultEntryRecord): Promise<void>;
    get(id: string): Promise<VaultEntryRecord | null>;
    getFor(userId: string, connectionId: string): Promise<VaultEntryRecord | null>;
    /** Creation order. */
    listForUser(userId: string): Promise<VaultEntryRecord[]>;
    /** Creation order, paged. */
    listForConnection(connectionId: string, page?: Page): Promise<VaultEntryRecord[]>;
    /**
     * Stores a new sealed value (a refresh or a re-link) only while the stored ciphertext is still
     * `expectedCiphertext`: of two instances refreshing at once, exactly one write wins. With
     * `requireStatus`, also only while the entry has that status (a refresh must not revive an
     * entry unlinked meanwhile). Releases the refresh lease.
     */
    replaceSealed(
      id: string,
      expectedCiphertext: string,
      next: { sealed: VaultSealedRecord; status: VaultEntryStatus; lastError: string | null; updatedAt: number },
      requireStatus?: VaultEntryStatus,
    ): Promise<boolean>;
    /**
     * Takes the entry's refresh lease until `until` (compare-and-set): only while the entry is ok,
     * its ciphertext is still `expectedCiphertext` and no unexpired lease is held. replaceSealed
     * and setStatus release it.
     */
    claimRefresh(id: string, expectedCiphertext: string, until: number, now: number): Promise<boolean>;
    /**
     * Marks the entry (refresh failed, revoked) and releases the refresh lease; the sealed value is
     * kept. With `requireStatus`, only while the entry has that status; with `expectedCiphertext`,
     * only while its ciphertext is still that one (the value a refresh read: a re-link or another
     * refresh since then is not marked, and a KEK rewrap, which keeps the ciphertext, is not undone).
     * False when absent (or not in that state).
     */
    setStatus(id: string, status: VaultEntryStatus, lastError: string | null, at: number, requireStatus?: VaultEntryStatus, expectedCiphertext?: string): Promise<boolean>;
    /**
     * An unlink begins: marks the entry `revoked` and releases the refresh lease; the sealed value
     * is kept. An entry already revoked keeps its `last_error` (why it was revoked: a connection's
     * deletion, deprovisioning, an earlier failed revocation); any other is cleared (a refresh's
     * transient error is not why it is revoked). False when absent.
     */
    markRevoked(id: string, at: number): Promise<boolean>;
    /** Marks every entry at the connection `revoked` in one statement (before a connection's deletion revokes them one by one); the count. */
    revokeAllAtConnection(connectionId: string, lastError: string | null, at: number): Promise<number>;
    /** Entries sealed under another KEK than `kekId`, in id order after `afterId`. */
    listNotUnderKek(kekId: string, filter: { afterId?: string; limit: number }): Promise<VaultEntryRecord[]>;
    /** Key rotation: swaps KEK id and wrapped key only while both are still `expected`; the ciphertext is untouched. */
    rewrap(id: string, expected: { kekId: string; wrappedKey: string }, next: { kekId: string; wrappedKey: string }): Promise<boolean>;
    delete(id: string): Promise<boolean>;
  };
}

/** SCIM 2.0 (issue 5): provisioning attributes of users, and groups (scim-storage.ts). */
export interface ScimStorage {
  /** Null when the user does not exist. */
  getUser(userId: string): Promise<ScimUserAttributes | null>;
  /** Writes the attributes onto the existing user; false when absent. */
  setUser(attributes: ScimUserAttributes): Promise<boolean>;
  /** Throws when the id or the (case-folded) displayName is taken. */
  createGroup(record: GroupRecord): Promise<void>;
  getGroup(id: string): Promise<GroupRecord | null>;
  /** Case-insensitive. */
  getGroupByName(displayName: string): Promise<GroupRecord | null>;
  /** Throws when the new displayName is taken; false when absent. */
  updateGroup(record: GroupRecord): Promise<boolean>;
  /** Deletes the group and its memberships; false when absent. */
  deleteGroup(id: string): Promise<boolean>;
  /** Creation order, paged. */
  listGroups(page?: Page): Promise<GroupRecord[]>;
  /** Replaces the group's members with exactly these users. */
  setGroupMembers(groupId: string, userIds: string[]): Promise<void>;
  /** User ids, sorted. */
  listGroupMembers(groupId: string): Promise<string[]>;
  /** Groups the user is a direct member of, by displayName. */
  listGroupsOfUser(userId: string): Promise<GroupRecord[]>;
}

/** SSO federation (issue 5, HU-1/EN-1): linked upstream accounts and pending upstream logins; upstream-identity-storage.ts. */
export interface UpstreamIdentityStorage {
  /** Throws when the (provider, subject) pair is already linked. */
  create(record: UpstreamIdentityRecord): Promise<void>;
  get(providerId: string, subject: string): Promise<UpstreamIdentityRecord | null>;
  /** Creation order. */
  listForUser(userId: string): Promise<UpstreamIdentityRecord[]>;
  /** Records a login through the identity; false when absent. */
  touch(providerId: string, subject: string, email: string | null, at: number): Promise<boolean>;
  delete(providerId: string, subject: string): Promise<boolean>;
  states: {
    create(record: UpstreamLoginStateRecord): Promise<void>;
    /** Read without using it (the callback checks the browser binding first). Null when absent or expired. */
    get(stateHash: string, now: number): Promise<UpstreamLoginStateRecord | null>;
    /** Atomic single use: returns the record to exactly one caller, null when used, expired or absent. */
    consume(stateHash: string, now: number): Promise<UpstreamLoginStateRecord | null>;
    /** Removes expired states; returns how many. */
    purgeExpired(now: number): Promise<number>;
  };
}

/** TOTP secrets shown during a login, waiting for their first code (HU-1); totp-enrollment-storage.ts. */
export interface TotpEnrollmentStorage {
  /**
   * Creates the interaction's pending enrolment, replacing one of another login, user or an
   * expired one; a live one of the same user and login is kept. Returns the row pending afterwards
   * (null only if it vanished meanwhile). Purges expired rows first.
   */
  put(record: TotpEnrollmentRecord): Promise<TotpEnrollmentRecord | null>;
  /** Null when absent or expired. */
  get(interactionId: string, now: number): Promise<TotpEnrollmentRecord | null>;
  /**
   * Atomic single use for this user and password login: the record to exactly one caller, else
   * null. On success every other pending enrolment of the user is removed too. `secretEncrypted`
   * must be the row's too: the secret whose code was checked, not one stored since.
   */
  consume(interactionId: string, userId: string, loginAt: number, now: number, secretEncrypted: string): Promise<TotpEnrollmentRecord | null>;
  /** Removes expired enrolments; returns how many. */
  purgeExpired(now: number): Promise<number>;
}
