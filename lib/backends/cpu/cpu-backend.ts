import { Sam3ClipError } from '../../errors.js';
import type { ModelPackage } from '../../model/manifest.js';
import { ALL_GRAPH_NAMES, graphNames, type GraphName } from '../../model/manifest-types.js';
import type { HostBackend, FloatTensor, GraphStats, HostTensor, ImageFeatures, SessionTimes } from '../backend.js';
import { checkGraphMetadata } from '../graph-contract.js';
import { WorkerPool } from './worker-pool.js';
import type { WireTensor, WorkerResponse } from './worker-protocol.js';

export interface CpuBackendOptions {
  /** ONNX Runtime intra-op threads per session. */
  threads: number;
  /** Worker threads; each holds every session of the package. */
  workers: number;
}

type RunResponse = Extract<WorkerResponse, { outputs: unknown }>;

/** The embedded default: ONNX Runtime sessions on the CPU, run in worker threads. */
export class CpuBackend implements HostBackend {
  readonly name = 'cpu' as const;
  readonly kind = 'host' as const;
  private readonly pool: WorkerPool;
  private readonly counters = Object.fromEntries(ALL_GRAPH_NAMES.map((g) => [g, { runs: 0, ms: 0 }])) as Record<
    GraphName,
    GraphStats
  >;

  constructor(
    private readonly pkg: ModelPackage,
    private readonly options: CpuBackendOptions,
  ) {
    this.pool = new WorkerPool(options.workers);
  }

  async load(onProgress: (graph: GraphName) => void): Promise<void> {
    // One graph at a time keeps peak memory to one model being optimized at once.
    for (const graph of graphNames(this.pkg.manifest)) {
      const file = this.pkg.paths[graph];
      let responses: WorkerResponse[];
      try {
        responses = await this.pool.broadcast({ op: 'load', graph, file, threads: this.options.threads });
      } catch (cause) {
        throw new Sam3ClipError('E_MODEL_FILE', `Cannot load ${file} (files.${graph}): ${(cause as Error).message}`, {
          file,
          field: `files.${graph}`,
          cause,
        });
      }
      const first = responses[0];
      if (first && 'metadata' in first) checkGraphMetadata(graph, file, first.metadata, this.pkg.manifest);
      onProgress(graph);
    }
  }

  async run(
    graph: GraphName,
    feeds: Record<string, HostTensor>,
    times: SessionTimes | undefined,
    transfer: ArrayBuffer[] = [],
  ): Promise<Record<string, FloatTensor>> {
    const response = (await this.pool.request({ op: 'run', graph, feeds: feeds as Record<string, WireTensor> }, transfer)) as RunResponse;
    this.counters[graph].runs++;
    this.counters[graph].ms += response.ms;
    if (times) times[graph] = (times[graph] ?? 0) + response.ms;
    return response.outputs as Record<string, FloatTensor>;
  }

  async encodeImage(pixelValues: Float32Array, times?: SessionTimes): Promise<ImageFeatures> {
    const size = this.pkg.manifest.image.size;
    const transfer = pixelValues.buffer instanceof ArrayBuffer ? [pixelValues.buffer] : [];
    // The features come back transferred, not copied; each decode sends the worker a copy (structured
    // clone), the one copy onnxruntime-node needed anyway.
    return this.run('image_encoder', { pixel_values: { type: 'float32', dims: [1, 3, size, size], data: pixelValues } }, times, transfer);
  }

  stats(): Record<GraphName, GraphStats> {
    return structuredClone(this.counters);
  }

  dispose(): Promise<void> {
    return this.pool.close();
  }
}
