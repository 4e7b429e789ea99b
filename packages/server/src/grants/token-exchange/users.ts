/**
 * The users one exchange reads: the subject token's user (§2.1) and the acting agent's owner
 * (ID-2) — most often the same person, whose record is then read once per request, not twice.
 * A lookup lives for one request only, so every request still sees the current record.
 */
import type { ServerContext } from '../../context.ts';
import type { UserRecord } from '../../storage/records.ts';

export type UserLookup = (userId: string) => Promise<UserRecord | null>;

export function userLookup(ctx: ServerContext): UserLookup {
  const reads = new Map<string, Promise<UserRecord | null>>();
  return (userId) => {
    let read = reads.get(userId);
    if (read === undefined) {
      read = ctx.storage.users.get(userId);
      reads.set(userId, read);
    }
    return read;
  };
}
