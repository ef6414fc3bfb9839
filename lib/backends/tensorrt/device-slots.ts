/**
 * What both TensorRT backends (TensorRtBackend, TensorRtConceptBackend) share: image features
 * kept in device memory, one slot per cached embedding, within a byte budget. When a new image
 * would exceed it, the least recently used slot is freed and re-encoded from its kept resized
 * pixels if it is asked for again. Also the interactive path's runs on those features (points and
 * boxes: the prompt encoder and the mask decoder), the per-graph counters and the mapping of addon
 * errors.
 */
import { Sam3ClipError, type ErrorCode } from '../../errors.js';
import { ALL_GRAPH_NAMES, hasInteractivePath, textPathSpec, type GraphName } from '../../model/manifest-types.js';
import type { GpuImageStageTimes, TensorRtPipelineBase, TensorRtPipelineConfigBase } from '../../native.js';
import type { DeviceFeatures, FloatTensor, GraphStats, HostTensor, InteractiveGraphName, SessionTimes } from '../backend.js';
import { hasInteractiveEngines, rebuildCommand, type EngineMetadata } from '../../engines/engine-metadata.js';
import { runInBatches } from './interactive-batches.js';
import type { ModelPackage } from '../../model/manifest.js';
import path from 'node:path';

export interface TensorRtBackendOptions {
  engineDir: string;
  metadata: EngineMetadata;
  device: number;
  /** Device bytes the cached image features may take. */
  featureBudgetBytes: number;
}

const NATIVE_CODES: ErrorCode[] = ['E_ENGINE_MISMATCH', 'E_TENSORRT', 'E_GPU_OOM', 'E_CUDA', 'E_INVALID_OPTION', 'E_OUT_OF_MEMORY', 'E_BACKEND_UNAVAILABLE'];

/** Addon errors carry a code; keep it when it is one of ours. */
export function asSam3ClipError(error: unknown): Sam3ClipError {
  if (error instanceof Sam3ClipError) return error;
  const e = error as { code?: string; message?: string };
  const code = NATIVE_CODES.includes(e?.code as ErrorCode) ? (e.code as ErrorCode) : 'E_TENSORRT';
  return new Sam3ClipError(code, e?.message ?? String(error), { cause: error });
}

export class GpuFeatures implements DeviceFeatures {
  readonly kind = 'device' as const;
  slot: number | undefined;
  released = false;
  constructor(
    readonly backend: DeviceSlotBackend<TensorRtPipelineBase<GpuImageStageTimes>>,
    readonly rgb: Uint8Array,
    readonly width: number,
    readonly height: number,
    readonly byteLength: number,
  ) {}
  release(): void {
    if (this.released) return;
    this.released = true;
    this.backend.evict(this);
  }
}

/** The slot cache and counters of a TensorRT backend; subclasses open the pipeline and run its prompt call. */
export abstract class DeviceSlotBackend<P extends TensorRtPipelineBase<GpuImageStageTimes>> {
  readonly name = 'tensorrt' as const;
  readonly kind = 'device' as const;
  abstract readonly pipelineKind: 'tracker' | 'sam3-concept';
  protected pipeline?: P;
  /** Resident features, least recently used first. */
  private readonly resident = new Set<GpuFeatures>();
  private readonly counters = Object.fromEntries(ALL_GRAPH_NAMES.map((g) => [g, { runs: 0, ms: 0 }])) as Record<GraphName, GraphStats>;

  constructor(
    protected readonly pkg: ModelPackage,
    protected readonly options: TensorRtBackendOptions,
  ) {}

  /** The engine file of a graph. */
  protected engineFile(graph: GraphName): string {
    return path.join(this.options.engineDir, this.options.metadata.engines[graph]!.path);
  }

  /** The engine files of the interactive path, where the folder has them (older folders do not). */
  protected interactiveEngineFiles(): { promptEncoder: string; maskDecoder: string } | undefined {
    if (!hasInteractiveEngines(this.options.metadata, this.pkg.manifest)) return undefined;
    return { promptEncoder: this.engineFile('prompt_encoder'), maskDecoder: this.engineFile('mask_decoder') };
  }

  /** The part of the pipeline's config both pipelines have: two engine files, the device and the package's dimensions. */
  protected baseConfig(): TensorRtPipelineConfigBase {
    const m = this.pkg.manifest;
    return {
      imageEncoder: this.engineFile('image_encoder'),
      textEncoder: this.engineFile('text_encoder'),
      rebuildHint: rebuildCommand(this.pkg.dir),
      device: this.options.device,
      imageSize: m.image.size,
      mean: m.image.mean,
      std: m.image.std,
      embedChannels: m.dims.embeddingChannels,
      embedH: m.dims.embeddingSize[0],
      embedW: m.dims.embeddingSize[1],
      contextLength: textPathSpec(m).tokenizer.contextLength,
      maskSize: m.mask.size,
    };
  }

  protected count(graph: GraphName, ms: number, times?: SessionTimes): void {
    this.counters[graph].runs++;
    this.counters[graph].ms += ms;
    if (times) times[graph] = (times[graph] ?? 0) + ms;
  }

  protected live(): P {
    if (!this.pipeline) throw new Sam3ClipError('E_DISPOSED', 'The TensorRT backend is closed');
    return this.pipeline;
  }

  /** The features, when they are live features of a backend of this kind. */
  protected ownFeatures(features: DeviceFeatures): GpuFeatures {
    if (!(features instanceof GpuFeatures) || features.backend.pipelineKind !== this.pipelineKind || features.released)
      throw new Sam3ClipError('E_DISPOSED', 'This ImageEmbedding has been disposed');
    return features;
  }

  /** Refuses a prompt batch larger than the engines were built for. */
  protected checkBatch(pipeline: P, batch: number): void {
    const maxPrompts = pipeline.maxPrompts;
    if (batch > maxPrompts)
      throw new Sam3ClipError(
        'E_INVALID_PROMPT',
        `${batch} prompts (negatives included) in one call; these engines were built for at most ${maxPrompts}. ` +
          'Rebuild them with a larger --max-prompts.',
        { field: 'prompt' },
      );
  }

  /** Frees a feature slot (dispose, or eviction to stay within the budget). */
  evict(features: GpuFeatures): void {
    if (features.slot === undefined) return;
    const slot = features.slot;
    features.slot = undefined;
    this.resident.delete(features);
    void this.pipeline?.releaseImage(slot).catch(() => {});
  }

  protected async makeResident(features: GpuFeatures, times?: SessionTimes): Promise<number> {
    if (features.slot !== undefined) {
      // Most recently used goes last.
      this.resident.delete(features);
      this.resident.add(features);
      return features.slot;
    }
    let residentBytes = 0;
    for (const f of this.resident) residentBytes += f.byteLength;
    for (const old of this.resident) {
      if (residentBytes + features.byteLength <= this.options.featureBudgetBytes) break;
      residentBytes -= old.byteLength;
      this.evict(old);
    }
    let result: { slot: number; times: GpuImageStageTimes };
    try {
      result = await this.live().encodeImage(features.rgb, features.width, features.height);
    } catch (error) {
      throw asSam3ClipError(error);
    }
    this.count('image_encoder', result.times.imageEncoder, times);
    if (features.released) {
      void this.pipeline?.releaseImage(result.slot).catch(() => {});
      throw new Sam3ClipError('E_DISPOSED', 'This ImageEmbedding has been disposed');
    }
    features.slot = result.slot;
    this.resident.add(features);
    return result.slot;
  }

  async encodeImageRgb(rgb: Uint8Array, width: number, height: number, times?: SessionTimes): Promise<DeviceFeatures> {
    const features = new GpuFeatures(this, rgb, width, height, this.live().slotBytes);
    await this.makeResident(features, times);
    return features;
  }

  /**
   * One run of an interactive graph with the image's device features bound to the mask decoder's
   * image inputs; batches beyond the engines' profile run in parts, so any number of clicks works.
   */
  async runOnFeatures(
    features: DeviceFeatures,
    graph: InteractiveGraphName,
    feeds: Record<string, HostTensor>,
    times?: SessionTimes,
  ): Promise<Record<string, FloatTensor>> {
    const own = this.ownFeatures(features);
    const pipeline = this.live();
    const maxBatch = pipeline.interactiveBatch;
    if (!maxBatch) {
      const m = this.pkg.manifest;
      throw new Sam3ClipError(
        'E_BACKEND_UNAVAILABLE',
        hasInteractivePath(m)
          ? `The TensorRT engines in ${this.options.engineDir} were built without the prompt_encoder that points and boxes need ` +
              `(before ${m.name} had it). ${rebuildCommand(this.pkg.dir)}`
          : `${m.name} has no interactive path (points and boxes)`,
        { field: 'prompt' },
      );
    }
    return runInBatches(feeds, maxBatch, async (part) => {
      const slot = await this.makeResident(own, times);
      let out;
      try {
        out = await pipeline.runInteractive(slot, graph, part);
      } catch (error) {
        throw asSam3ClipError(error);
      }
      this.count(graph, out.times.run, times);
      return out.outputs;
    });
  }

  stats(): Record<GraphName, GraphStats> {
    return Object.fromEntries(ALL_GRAPH_NAMES.map((g) => [g, { ...this.counters[g] }])) as Record<GraphName, GraphStats>;
  }

  async dispose(): Promise<void> {
    for (const f of [...this.resident]) this.evict(f);
    const pipeline = this.pipeline;
    this.pipeline = undefined;
    await pipeline?.close();
  }
}
