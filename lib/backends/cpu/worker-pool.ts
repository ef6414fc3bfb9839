import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Sam3ClipError, type ErrorCode } from '../../errors.js';
import type { WorkerRequest, WorkerResponse } from './worker-protocol.js';

type Pending = { resolve: (r: WorkerResponse) => void; reject: (e: Error) => void };

/** Distributive Omit, so each request variant keeps its own fields. */
type RequestBody = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
  dead?: Error;
  /** Settles when a replacement worker has reloaded the graphs (at once for the first workers). */
  ready: Promise<void>;
  /** Called when the last request in flight settles (close() waits for it). */
  onIdle?: () => void;
}

/** Replacements after crashes, per pool, before a dead worker stays dead (a crash loop is a bug to report). */
const MAX_RESPAWNS = 8;

/**
 * A small pool of ONNX Runtime worker threads. Every worker holds every session; a request goes to
 * the worker with the fewest requests in flight (each worker runs its requests one after another).
 */
export class WorkerPool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 1;
  private closed = false;
  private respawns = 0;
  /** Every load sent so far, replayed into a worker that replaces a crashed one. */
  private readonly loads: RequestBody[] = [];
  private readonly script = path.join(__dirname, 'ort-worker.js');

  constructor(size: number) {
    for (let i = 0; i < size; i++) this.workers.push(this.spawn());
  }

  get size(): number {
    return this.workers.length;
  }

  private spawn(): PoolWorker {
    const entry: PoolWorker = { worker: new Worker(this.script), pending: new Map(), ready: Promise.resolve() };
    const fail = (error: Error) => {
      if (entry.dead) return;
      entry.dead = error;
      for (const p of entry.pending.values()) p.reject(error);
      entry.pending.clear();
      // The requests in flight fail; the segmenter stays usable with a fresh worker.
      if (!this.closed) this.replace(entry);
    };
    entry.worker.on('message', (response: WorkerResponse) => {
      const pending = entry.pending.get(response.id);
      if (!pending) return;
      entry.pending.delete(response.id);
      pending.resolve(response);
    });
    entry.worker.on('error', (error) =>
      fail(new Sam3ClipError('E_MODEL_RUNTIME', `Inference worker failed: ${error.message}`, { cause: error })),
    );
    entry.worker.on('exit', (code) => {
      if (!this.closed) fail(new Sam3ClipError('E_MODEL_RUNTIME', `Inference worker exited with code ${code}`));
    });
    // Idle workers must not keep the process alive.
    entry.worker.unref();
    return entry;
  }

  private replace(entry: PoolWorker): void {
    const index = this.workers.indexOf(entry);
    if (index < 0 || this.respawns >= MAX_RESPAWNS) return;
    this.respawns++;
    void entry.worker.terminate();
    const fresh = this.spawn();
    fresh.ready = (async () => {
      for (const load of this.loads) await this.post(fresh, load, []);
    })();
    fresh.ready.catch(() => {});
    this.workers[index] = fresh;
  }

  private async send(entry: PoolWorker, request: RequestBody, transfer: ArrayBuffer[]): Promise<WorkerResponse> {
    await entry.ready;
    return this.post(entry, request, transfer);
  }

  private post(entry: PoolWorker, request: RequestBody, transfer: ArrayBuffer[]): Promise<WorkerResponse> {
    if (this.closed) return Promise.reject(new Sam3ClipError('E_DISPOSED', 'The inference workers are closed'));
    if (entry.dead) return Promise.reject(entry.dead);
    const id = this.nextId++;
    return new Promise<WorkerResponse>((resolve, reject) => {
      entry.pending.set(id, { resolve, reject });
      entry.worker.ref();
      entry.worker.postMessage({ ...request, id }, transfer);
    }).finally(() => {
      if (entry.pending.size === 0) {
        entry.worker.unref();
        entry.onIdle?.();
      }
    }).then((response) => {
      if (response.ok) return response;
      throw new Sam3ClipError(response.error.code as ErrorCode, response.error.message);
    });
  }

  /** Sends to every worker (model loading). */
  broadcast(request: RequestBody): Promise<WorkerResponse[]> {
    if (request.op === 'load') this.loads.push(request);
    return Promise.all(this.workers.map((w) => this.send(w, request, [])));
  }

  /** Sends to the least busy live worker. */
  request(request: RequestBody, transfer: ArrayBuffer[] = []): Promise<WorkerResponse> {
    const live = this.workers.filter((w) => !w.dead);
    if (live.length === 0) return Promise.reject(this.workers[0]?.dead ?? new Error('worker pool is empty'));
    const target = live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    return this.send(target, request, transfer);
  }

  /**
   * Lets the runs in flight finish, then ends the workers. Terminating a worker inside
   * session.run aborts the whole process (onnxruntime-node throws during teardown), so never do that.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.workers.map(async (w) => {
        if (w.pending.size > 0 && !w.dead) await new Promise<void>((resolve) => (w.onIdle = resolve));
        await w.worker.terminate();
      }),
    );
  }
}
