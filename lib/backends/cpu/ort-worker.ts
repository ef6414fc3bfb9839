/**
 * Worker thread that owns ONNX Runtime sessions. onnxruntime-node runs session.run on the calling
 * thread, so the sessions live here and the main thread's event loop stays free.
 */
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { GraphName } from '../../model/manifest-types.js';
import type { GraphMetadata, WireTensor, WorkerRequest, WorkerResponse } from './worker-protocol.js';

const sessions = new Map<GraphName, ort.InferenceSession>();

function metadataOf(session: ort.InferenceSession): GraphMetadata {
  const shapeOf = (m: ort.InferenceSession.ValueMetadata) => (m.isTensor ? [...m.shape] : []);
  return {
    inputs: session.inputMetadata.map((m) => ({ name: m.name, shape: shapeOf(m) })),
    outputs: session.outputMetadata.map((m) => ({ name: m.name, shape: shapeOf(m) })),
  };
}

async function handle(request: WorkerRequest): Promise<{ response: WorkerResponse; transfer: ArrayBuffer[] }> {
  if (request.op === 'load') {
    const session = await ort.InferenceSession.create(request.file, {
      intraOpNumThreads: request.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // ONNX Runtime's CPU arena keeps each run's peak activations for good: with the full-size SAM3
      // encoder and detector in one process that held 14.3 GiB after one 4-prompt call, 8.2 GiB without it
      // (and no slower); the memory now goes back to the allocator after every run.
      enableCpuMemArena: false,
    });
    sessions.set(request.graph, session);
    return { response: { id: request.id, ok: true, metadata: metadataOf(session) }, transfer: [] };
  }
  const session = sessions.get(request.graph);
  if (!session) throw new Error(`graph ${request.graph} is not loaded`);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(request.feeds)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  const start = performance.now();
  const results = await session.run(feeds);
  const ms = performance.now() - start;
  const outputs: Record<string, WireTensor> = {};
  const transfer: ArrayBuffer[] = [];
  for (const [name, tensor] of Object.entries(results)) {
    if (tensor.type !== 'float32') throw new Error(`output ${name} of ${request.graph} is ${tensor.type}, not float32`);
    let data = tensor.data as Float32Array;
    // Outputs move to the main thread without a copy where they own their buffer.
    if (data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength)
      transfer.push(data.buffer);
    else data = data.slice();
    outputs[name] = { type: 'float32', dims: [...tensor.dims], data };
  }
  return { response: { id: request.id, ok: true, outputs, ms }, transfer };
}

parentPort!.on('message', (request: WorkerRequest) => {
  handle(request).then(
    ({ response, transfer }) => parentPort!.postMessage(response, transfer),
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      const code = request.op === 'load' ? 'E_MODEL_FILE' : 'E_MODEL_RUNTIME';
      parentPort!.postMessage({ id: request.id, ok: false, error: { message, code } } satisfies WorkerResponse);
    },
  );
});
