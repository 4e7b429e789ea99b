/**
 * One in-flight operation per key: concurrent callers for the same entry share one provider
 * refresh instead of each spending (and, with rotation, invalidating) the refresh token. Across
 * server instances the storage compare-and-set (entries.replaceSealed) settles who wins.
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  run(key: string, fn: () => Promise<T>): Promise<T> {
    const existing = this.running.get(key);
    if (existing) return existing;
    const promise = fn().finally(() => this.running.delete(key));
    this.running.set(key, promise);
    return promise;
  }

  /** Resolves once the operation running for `key` (if any) has ended, however it ended. */
  async settled(key: string): Promise<void> {
    await this.running.get(key)?.catch(() => undefined);
  }

  /** Keys with an operation running (diagnostics and tests). */
  get size(): number {
    return this.running.size;
  }
}
