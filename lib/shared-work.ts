import { abortError } from './errors.js';

/** `promise`, or E_ABORTED as soon as `signal` aborts (the work behind the promise goes on). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Work several callers wait for together (one image encode for concurrent calls on the same bytes).
 * It runs while at least one caller still wants it: a caller's own signal rejects that caller
 * alone, and when the last caller leaves before the work settles, the work's signal aborts and
 * `onAbandon` runs, so nobody new joins work that is being given up.
 */
export class SharedWork<T> {
  readonly promise: Promise<T>;
  private waiters = 0;
  private settled = false;
  private readonly controller = new AbortController();

  constructor(
    run: (signal: AbortSignal) => Promise<T>,
    private readonly onAbandon: () => void = () => {},
  ) {
    this.promise = run(this.controller.signal);
    const settle = () => {
      this.settled = true;
    };
    this.promise.then(settle, settle);
  }

  /** Waits as one of the callers; `signal` ends this caller's wait only. */
  async join(signal?: AbortSignal): Promise<T> {
    this.waiters++;
    try {
      return await abortable(this.promise, signal);
    } finally {
      this.waiters--;
      if (this.waiters === 0 && !this.settled) {
        this.controller.abort();
        this.onAbandon();
      }
    }
  }
}
