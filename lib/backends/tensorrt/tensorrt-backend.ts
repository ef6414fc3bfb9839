/**
 * The GPU backend: the addon's TensorRtPipeline running the engines of `npm run build-engines`.
 * Image features stay in device memory, one slot per cached embedding, within a byte budget:
 * when a new image would exceed it, the least recently used slot is freed and re-encoded from
 * its kept resized pixels if it is asked for again.
 */
import { Sam3ClipError, type ErrorCode } from '../../errors.js';
import type { ModelPackage } from '../../model/manifest.js';
import { ALL_GRAPH_NAMES, GRAPH_NAMES, isConceptManifest, type GraphName, type TrackerManifest } from '../../model/manifest-types.js';
import type { GpuStageTimes, TensorRtPipeline, TensorRtPipelineConfig } from '../../native.js';
import { native } from '../../native.js';
import type { TokenBatch } from '../../tokenizer.js';
import type { DeviceBackend, DeviceFeatures, DeviceSegmentation, DeviceSegmentRequest, GraphStats, SessionTimes } from '../backend.js';
import { rebuildCommand, type EngineMetadata } from '../../engines/engine-metadata.js';
import path from 'node:path';

export interface TensorRtBackendOptions {
  engineDir: string;
  metadata: EngineMetadata;
  device: number;
  /** Device bytes the cached image features may take. */
  featureBudgetBytes: number;
}

const NATIVE_CODES: ErrorCode[] = ['E_ENGINE_MISMATCH', 'E_TENSORRT', 'E_GPU_OOM', 'E_CUDA', 'E_INVALID_OPTION'];

/** Addon errors carry a code; keep it when it is one of ours. */
function asSam3ClipError(error: unknown): Sam3ClipError {
  if (error instanceof Sam3ClipError) return error;
  const e = error as { code?: string; message?: string };
  const code = NATIVE_CODES.includes(e?.code as ErrorCode) ? (e.code as ErrorCode) : 'E_TENSORRT';
  return new Sam3ClipError(code, e?.message ?? String(error), { cause: error });
}

class GpuFeatures implements DeviceFeatures {
  readonly kind = 'device' as const;
  slot: number | undefined;
  released = false;
  constructor(
    private readonly backend: TensorRtBackend,
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

export class TensorRtBackend implements DeviceBackend {
  readonly name = 'tensorrt' as const;
  readonly kind = 'device' as const;
  private pipeline?: TensorRtPipeline;
  /** Resident features, least recently used first. */
  private readonly resident = new Set<GpuFeatures>();
  private readonly counters = Object.fromEntries(ALL_GRAPH_NAMES.map((g) => [g, { runs: 0, ms: 0 }])) as Record<GraphName, GraphStats>;

  constructor(
    private readonly pkg: ModelPackage,
    private readonly options: TensorRtBackendOptions,
  ) {}

  async load(onProgress: (graph: GraphName) => void): Promise<void> {
    const addon = native();
    if (!addon.TensorRtPipeline)
      throw new Sam3ClipError('E_BACKEND_UNAVAILABLE', 'This build of the native addon has no TensorRT support');
    const m = this.pkg.manifest;
    // selectBackend sends only the tracker families here: the GPU pipeline runs their graph chain.
    if (isConceptManifest(m))
      throw new Sam3ClipError('E_BACKEND_UNAVAILABLE', `The TensorRT pipeline runs the tracker families; ${m.name} is sam3-concept`);
    const trackerManifest: TrackerManifest = m;
    const file = (g: GraphName) => path.join(this.options.engineDir, this.options.metadata.engines[g]!.path);
    const config: TensorRtPipelineConfig = {
      imageEncoder: file('image_encoder'),
      textEncoder: file('text_encoder'),
      textProjection: file('text_projection'),
      maskDecoder: file('mask_decoder'),
      rebuildHint: rebuildCommand(this.pkg.dir),
      device: this.options.device,
      imageSize: m.image.size,
      mean: m.image.mean,
      std: m.image.std,
      embedChannels: m.dims.embeddingChannels,
      embedH: m.dims.embeddingSize[0],
      embedW: m.dims.embeddingSize[1],
      highResFeatures: trackerManifest.dims.highResFeatures,
      contextLength: m.tokenizer.contextLength,
      attentionMask: m.tokenizer.attentionMask,
      textDim: trackerManifest.dims.textEmbedding,
      promptTokens: trackerManifest.dims.promptTokens,
      promptDim: trackerManifest.dims.promptEmbedding,
      maskSize: m.mask.size,
      candidates: trackerManifest.mask.candidates,
    };
    try {
      this.pipeline = await addon.TensorRtPipeline.open(config);
    } catch (error) {
      throw asSam3ClipError(error);
    }
    for (const g of GRAPH_NAMES) onProgress(g);
  }

  private count(graph: GraphName, ms: number, times?: SessionTimes): void {
    this.counters[graph].runs++;
    this.counters[graph].ms += ms;
    if (times) times[graph] = (times[graph] ?? 0) + ms;
  }

  private live(): TensorRtPipeline {
    if (!this.pipeline) throw new Sam3ClipError('E_DISPOSED', 'The TensorRT backend is closed');
    return this.pipeline;
  }

  /** Frees a feature slot (dispose, or eviction to stay within the budget). */
  evict(features: GpuFeatures): void {
    if (features.slot === undefined) return;
    const slot = features.slot;
    features.slot = undefined;
    this.resident.delete(features);
    void this.pipeline?.releaseImage(slot).catch(() => {});
  }

  private async makeResident(features: GpuFeatures, times?: SessionTimes): Promise<number> {
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
    let result: { slot: number; times: GpuStageTimes };
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

  async segmentOnDevice(
    features: DeviceFeatures,
    tokens: TokenBatch,
    request: DeviceSegmentRequest,
    times?: SessionTimes,
  ): Promise<DeviceSegmentation> {
    if (!(features instanceof GpuFeatures) || features.released)
      throw new Sam3ClipError('E_DISPOSED', 'This ImageEmbedding has been disposed');
    const pipeline = this.live();
    if (tokens.batch > pipeline.maxPrompts)
      throw new Sam3ClipError(
        'E_INVALID_PROMPT',
        `${tokens.batch} prompts (negatives included) in one call; these engines were built for at most ${pipeline.maxPrompts}. ` +
          'Rebuild them with a larger --max-prompts.',
        { field: 'prompt' },
      );
    const slot = await this.makeResident(features, times);
    const [resizedH, resizedW] = request.resizedHw;
    const [originalH, originalW] = request.originalHw;
    let out;
    try {
      out = await pipeline.segment(
        slot,
        tokens.ids,
        this.pkg.manifest.tokenizer.attentionMask ? tokens.attentionMask : null,
        tokens.batch,
        request.threshold,
        request.smoothness,
        resizedH,
        resizedW,
        originalH,
        originalW,
      );
    } catch (error) {
      throw asSam3ClipError(error);
    }
    this.count('text_encoder', out.times.textEncoder, times);
    this.count('text_projection', out.times.textProjection, times);
    this.count('mask_decoder', out.times.maskDecoder, times);
    const pixels = originalH * originalW;
    const masks = Array.from({ length: tokens.batch }, (_, b) => out.masks.subarray(b * pixels, (b + 1) * pixels));
    return { masks, iou: out.iou, index: out.index, passed: out.passed };
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
