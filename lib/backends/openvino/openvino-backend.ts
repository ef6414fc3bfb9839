import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Sam3ClipError } from '../../errors.js';
import type { ModelPackage } from '../../model/manifest.js';
import { ALL_GRAPH_NAMES, graphNames, type GraphName } from '../../model/manifest-types.js';
import type { OpenVinoAddon, OpenVinoGraph, OpenVinoTensorInfo } from '../../openvino-addon.js';
import type { FloatTensor, GraphStats, HostBackend, HostTensor, ImageFeatures, SessionTimes } from '../backend.js';
import { checkGraphMetadata, expectedIo } from '../graph-contract.js';

export interface OpenVinoBackendOptions {
  addon: OpenVinoAddon;
  /** The CPU the blobs are compiled for (part of their names). */
  cpuName: string;
  precision: 'bf16' | 'f32';
  threads: number;
  /** Folder of compiled blobs; absent: compile at every start. */
  blobDir?: string;
}

/** How one graph was loaded, for backendInfo and the benchmarks. */
export interface OpenVinoGraphLoad {
  graph: GraphName;
  ms: number;
  fromCache: boolean;
  inferencePrecision: string;
  cacheNote?: string;
}

/**
 * OpenVINO on the CPU: the package's ONNX graphs compiled by OpenVINO's CPU plugin, in BF16 where
 * the CPU has AMX or AVX-512 BF16. A host backend like ONNX Runtime (the families feed and
 * post-process around its runs), but in-process: runs go to the native module, off the JS thread,
 * and read their inputs in place; outputs are arrays over OpenVINO's own memory, so an image's
 * features reach every later prompt call without a copy.
 */
export class OpenVinoBackend implements HostBackend {
  readonly name = 'openvino' as const;
  readonly kind = 'host' as const;
  private readonly graphs = new Map<GraphName, { compiled: OpenVinoGraph; outputNames: string[] }>();
  private readonly counters = Object.fromEntries(ALL_GRAPH_NAMES.map((g) => [g, { runs: 0, ms: 0 }])) as Record<GraphName, GraphStats>;
  /** Runs go one at a time: each already uses every thread it was given, and queued runs must not hold libuv's pool. */
  private queue: Promise<unknown> = Promise.resolve();
  readonly loads: OpenVinoGraphLoad[] = [];

  constructor(
    private readonly pkg: ModelPackage,
    private readonly options: OpenVinoBackendOptions,
  ) {}

  /**
   * The compiled blob of one graph: named by the file's manifest hash, size and modification time,
   * the runtime, the CPU and the compile options, so any change to one of them compiles afresh.
   */
  private async blobPath(graph: GraphName, file: string): Promise<string | undefined> {
    const dir = this.options.blobDir;
    if (!dir) return undefined;
    const info = await stat(file);
    const listed = (this.pkg.manifest.files as Record<string, { sha256: string } | undefined>)[graph];
    const key = JSON.stringify({
      sha256: listed?.sha256,
      size: info.size,
      mtimeMs: info.mtimeMs,
      runtime: this.options.addon.openvinoVersion(),
      cpu: this.options.cpuName,
      precision: this.options.precision,
      threads: this.options.threads,
    });
    try {
      await mkdir(dir, { recursive: true });
    } catch {
      return undefined; // an unwritable cache costs a compile, nothing more
    }
    return path.join(dir, `${graph}-${createHash('sha256').update(key).digest('hex').slice(0, 32)}.blob`);
  }

  async load(onProgress: (graph: GraphName) => void): Promise<void> {
    // One graph at a time keeps peak memory to one model being compiled at once.
    for (const graph of graphNames(this.pkg.manifest)) {
      const file = this.pkg.paths[graph];
      const start = performance.now();
      let compiled: OpenVinoGraph;
      try {
        const blobPath = await this.blobPath(graph, file);
        compiled = await this.options.addon.OpenVinoGraph.compile(file, {
          precision: this.options.precision,
          threads: this.options.threads,
          ...(blobPath ? { blobPath } : {}),
        });
      } catch (cause) {
        const e = cause as Error & { code?: string };
        throw new Sam3ClipError(e.code === 'E_OUT_OF_MEMORY' ? 'E_OUT_OF_MEMORY' : 'E_MODEL_FILE', `Cannot load ${file} (files.${graph}) with OpenVINO: ${e.message}`, {
          file,
          field: `files.${graph}`,
          cause,
        });
      }
      // Each tensor under the name the contract gives it, where it is one of its names.
      const contract = expectedIo(graph, this.pkg.manifest);
      const named = (list: OpenVinoTensorInfo[], wanted: Record<string, unknown>) =>
        list.map((t) => ({ name: t.names.find((n) => n in wanted) ?? t.name, shape: t.shape }));
      const inputs = named(compiled.inputs, contract.inputs);
      const outputs = named(compiled.outputs, contract.outputs);
      this.graphs.set(graph, { compiled, outputNames: outputs.map((o) => o.name) });
      checkGraphMetadata(graph, file, { inputs, outputs }, this.pkg.manifest);
      this.loads.push({
        graph,
        ms: performance.now() - start,
        fromCache: compiled.fromCache,
        inferencePrecision: compiled.inferencePrecision,
        ...(compiled.cacheNote ? { cacheNote: compiled.cacheNote } : {}),
      });
      onProgress(graph);
    }
  }

  async run(graph: GraphName, feeds: Record<string, HostTensor>, times?: SessionTimes): Promise<Record<string, FloatTensor>> {
    const loaded = this.graphs.get(graph);
    if (!loaded) throw new Sam3ClipError('E_MODEL_RUNTIME', `graph ${graph} is not loaded`);
    const turn = this.queue.then(() => loaded.compiled.run(feeds));
    this.queue = turn.catch(() => {});
    let response: Awaited<ReturnType<OpenVinoGraph['run']>>;
    try {
      response = await turn;
    } catch (cause) {
      const e = cause as Error & { code?: string };
      throw new Sam3ClipError(e.code === 'E_OUT_OF_MEMORY' ? 'E_OUT_OF_MEMORY' : 'E_MODEL_RUNTIME', `OpenVINO run of ${graph} failed: ${e.message}`, { cause });
    }
    this.counters[graph].runs++;
    this.counters[graph].ms += response.ms;
    if (times) times[graph] = (times[graph] ?? 0) + response.ms;
    const outputs: Record<string, FloatTensor> = {};
    response.outputs.forEach((t, i) => (outputs[loaded.outputNames[i]!] = t));
    return outputs;
  }

  encodeImage(pixelValues: Float32Array, times?: SessionTimes): Promise<ImageFeatures> {
    const size = this.pkg.manifest.image.size;
    return this.run('image_encoder', { pixel_values: { type: 'float32', dims: [1, 3, size, size], data: pixelValues } }, times);
  }

  stats(): Record<GraphName, GraphStats> {
    return structuredClone(this.counters);
  }

  async dispose(): Promise<void> {
    await this.queue;
    for (const { compiled } of this.graphs.values()) compiled.close();
    this.graphs.clear();
  }
}
