/** Tool-call audit (AU-1) delivered to the authorization server, spooled to disk while it is down. */
export { createAuditSink, toWireEvent, type AuditSinkOptions, type MandateAuditSink } from './sink.ts';
export { AuditSpool } from './spool.ts';
export type { IngestCredentials } from './transport.ts';
