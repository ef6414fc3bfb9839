import { HttpError } from './http-errors.js';

/**
 * Caps how many model runs happen at once: inference is CPU/GPU bound, so running more in
 * parallel only makes every request slower. Up to `maxQueue` wait; beyond that callers are told
 * to come back (429) instead of piling up memory.
 */
export class Limiter {
  private running = 0;
  private readonly waiting: { start: () => void; fail: (e: unknown) => void }[] = [];

  constructor(
    private readonly maxConcurrent: number,
    private readonly maxQueue: number,
  ) {}

  /** Runs `task` when a slot is free; a signal that aborts while waiting gives up the place in line. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (this.running < this.maxConcurrent) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxQueue)
      return Promise.reject(new HttpError(429, 'E_BUSY', 'Too many requests in progress; retry shortly', { 'retry-after': '1' }));
    return new Promise((resolve, reject) => {
      const entry = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        fail: reject,
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter, so `running` stays the same.
    if (next) next.start();
    else this.running--;
  }
}
