import type { AuditLog } from '../context.ts';
import type { Storage } from '../storage/storage.ts';
import type { AuditEventInput } from '../storage/records.ts';

/**
 * Writes audit events (AU-1). Fails closed: if the event cannot be stored, the caller's
 * operation fails too, so nothing is granted without a record of it.
 */
export function createAuditLog(storage: Storage, now: () => number): AuditLog {
  return {
    async record(event: AuditEventInput): Promise<void> {
      await storage.audit.append(event, now());
    },
  };
}
