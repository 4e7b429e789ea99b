/**
 * The on-disk spool of audit events: append-only JSONL segments in one directory.
 *
 * Every event is written here first (write-ahead), so a crash or an unreachable authorization
 * server never loses one. The active segment receives appends; `seal()` closes it so it can be
 * delivered; a delivered segment is deleted. Redelivery after a crash is harmless: each line carries
 * an idempotency key the AS remembers (at-least-once delivery, recorded exactly once).
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const ACTIVE_SUFFIX = '.active.jsonl';
const SEALED_SUFFIX = '.jsonl';
const REJECTED_SUFFIX = '.rejected';

export class AuditSpool {
  private active: string | null = null;
  private activeLines = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    // Segments left active by a process that stopped are sealed now: nobody appends to them any more.
    for (const name of readdirSync(dir)) {
      if (name.endsWith(ACTIVE_SUFFIX)) renameSync(join(dir, name), join(dir, name.slice(0, -ACTIVE_SUFFIX.length) + SEALED_SUFFIX));
    }
  }

  /** Appends one event as one line. Synchronous: when it returns, the line is in the file. */
  append(line: Record<string, unknown>): void {
    if (this.active === null) {
      // Names sort by creation time, so segments are delivered oldest first.
      this.active = join(this.dir, `${Date.now().toString().padStart(15, '0')}-${process.pid}-${randomBytes(4).toString('hex')}${ACTIVE_SUFFIX}`);
      this.activeLines = 0;
    }
    appendFileSync(this.active, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    this.activeLines += 1;
  }

  /** Lines in the active segment (not yet sealed). */
  get pending(): number {
    return this.activeLines;
  }

  /** Closes the active segment for delivery. */
  seal(): void {
    if (this.active === null) return;
    renameSync(this.active, this.active.slice(0, -ACTIVE_SUFFIX.length) + SEALED_SUFFIX);
    this.active = null;
    this.activeLines = 0;
  }

  /** Sealed segments, oldest first. */
  sealed(): string[] {
    return readdirSync(this.dir)
      .filter((n) => n.endsWith(SEALED_SUFFIX) && !n.endsWith(ACTIVE_SUFFIX))
      .sort()
      .map((n) => join(this.dir, n));
  }

  /** The events of a sealed segment; a torn last line (a crash mid-write) is reported, not fatal. */
  read(segment: string): { events: Record<string, unknown>[]; corrupt: number } {
    const events: Record<string, unknown>[] = [];
    let corrupt = 0;
    for (const line of readFileSync(segment, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const value: unknown = JSON.parse(line);
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) events.push(value as Record<string, unknown>);
        else corrupt += 1;
      } catch {
        corrupt += 1;
      }
    }
    return { events, corrupt };
  }

  /** A delivered segment is removed. */
  delivered(segment: string): void {
    unlinkSync(segment);
  }

  /**
   * The events of a segment the AS refused as malformed are kept aside for an operator, never
   * deleted; the segment itself (whose other events were delivered) is removed.
   */
  setAside(segment: string, refused: Record<string, unknown>[]): string {
    const target = `${segment}${REJECTED_SUFFIX}`;
    appendFileSync(target, refused.map((e) => `${JSON.stringify(e)}\n`).join(''), { mode: 0o600 });
    unlinkSync(segment);
    return target;
  }
}
