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
}

/**
 * A small pool of ONNX Runtime worker threads. Every worker holds every session; a request goes to
 * the worker with the fewest requests in flight (each worker runs its requests one after another).
 */
export class WorkerPool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 1;
  private closed = false;

  constructor(size: number) {
    const script = path.join(__dirname, 'ort-worker.js');
    for (let i = 0; i < size; i++) this.workers.push(this.spawn(script));
  }

  get size(): number {
    return this.workers.length;
  }

  private spawn(script: string): PoolWorker {
    const entry: PoolWorker = { worker: new Worker(script), pending: new Map() };
    const fail = (error: Error) => {
      entry.dead ??= error;
      for (const p of entry.pending.values()) p.reject(error);
      entry.pending.clear();
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

  private send(entry: PoolWorker, request: RequestBody, transfer: ArrayBuffer[]): Promise<WorkerResponse> {
    if (entry.dead) return Promise.reject(entry.dead);
    const id = this.nextId++;
    return new Promise<WorkerResponse>((resolve, reject) => {
      entry.pending.set(id, { resolve, reject });
      entry.worker.ref();
      entry.worker.postMessage({ ...request, id }, transfer);
    }).finally(() => {
      if (entry.pending.size === 0) entry.worker.unref();
    }).then((response) => {
      if (response.ok) return response;
      throw new Sam3ClipError(response.error.code as ErrorCode, response.error.message);
    });
  }

  /** Sends to every worker (model loading). */
  broadcast(request: RequestBody): Promise<WorkerResponse[]> {
    return Promise.all(this.workers.map((w) => this.send(w, request, [])));
  }

  /** Sends to the least busy live worker. */
  request(request: RequestBody, transfer: ArrayBuffer[] = []): Promise<WorkerResponse> {
    const live = this.workers.filter((w) => !w.dead);
    if (live.length === 0) return Promise.reject(this.workers[0]?.dead ?? new Error('worker pool is empty'));
    const target = live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    return this.send(target, request, transfer);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
