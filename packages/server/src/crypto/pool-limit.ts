/**
 * Keeping one kind of work from taking all of libuv's thread pool. jose signs and verifies every
 * token through WebCrypto on that pool; scrypt (password.ts) runs there too, tens of ms a call,
 * and a burst of logins would otherwise queue every signature behind it.
 */

/** libuv's pool size: UV_THREADPOOL_SIZE when a positive integer, else libuv's default of 4. */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const configured = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(configured) && configured > 0 ? configured : 4;
}

/** How many pool threads one kind of slow work may hold: all but one, and at least one. */
export function poolShareLeavingOneThread(poolSize: number): number {
  return Math.max(1, poolSize - 1);
}

/** `run` was asked to wait behind a queue already `queueLimit` long: the work is refused, not queued. */
export class QueueFullError extends Error {
  override name = 'QueueFullError';
  constructor(readonly queueLimit: number) {
    super(`More than ${queueLimit} tasks are already waiting.`);
  }
}

/**
 * A counting semaphore: at most `limit` tasks run at once, the rest wait in FIFO order as
 * promises (a waiting task holds no pool thread). A task's slot is released however it ends.
 */
export class ConcurrencyLimit {
  #running = 0;
  // A plain FIFO: logins wait in a queue bounded to 32 × limit (password.ts), and the unbounded
  // callers (admin, SCIM hashes) are rare, so shift() on a short array is all this needs.
  readonly #waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`A concurrency limit must be a positive integer, not ${limit}.`);
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Runs `task` when a slot is free. With `queueLimit`, a task that would have to wait behind that
   * many others is refused at once with QueueFullError (it never runs), so a flood cannot build
   * an unbounded queue of requests that their clients gave up on long ago.
   */
  async run<T>(task: () => Promise<T>, options: { queueLimit?: number } = {}): Promise<T> {
    const { queueLimit } = options;
    if (queueLimit !== undefined && this.#running >= this.limit && this.waiting >= queueLimit) throw new QueueFullError(queueLimit);
    await this.#acquire();
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(): Promise<void> | undefined {
    if (this.#running < this.limit) {
      this.#running++;
      return undefined;
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next === undefined) {
      this.#running--;
      return;
    }
    // The slot passes straight to the next waiter, so a newcomer cannot overtake the queue.
    next();
  }
}
