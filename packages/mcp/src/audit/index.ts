/** Tool-call audit (AU-1) delivered to the authorization server, spooled to disk while it is down. */
export { createAuditSink, type AuditSinkOptions, type MandateAuditSink } from './sink.ts';
export { toWireEvent } from './wire.ts';
export {
  type AuthFailureAuditEvent,
  type MandateAuditEvent,
  type SecurityAuditEvent,
  type SecurityAuditSink,
  type ToolsListAuditEvent,
} from './events.ts';
export { AuditSpool } from './spool.ts';
export type { IngestCredentials } from './transport.ts';
