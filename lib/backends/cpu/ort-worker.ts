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
      // ONNX Runtime's CPU arena keeps a session's peak activations for good. The image encoder runs once
      // per image with the largest activations, so its memory goes back after each run; the prompt-path
      // graphs keep their arena, which makes batched detector runs several times faster. Full-size
      // sam3-concept, `npm run bench`: peak RSS 17.6 GiB with every arena, 12.4 GiB like this, 7.9 GiB with
      // none, but then 4 prompts on a cached image took 43 s instead of 12 s.
      enableCpuMemArena: request.graph !== 'image_encoder',
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
