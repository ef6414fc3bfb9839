/**
 * Loads the native addon (build/Release/sam3clip.node, or prebuilds/<platform>-<arch>/ from
 * `npm run prebuilds`) and declares its exports. The addon re-validates every argument; the
 * friendly checks and option objects live in ops.ts.
 */
import path from 'node:path';
import { Sam3ClipError } from './errors.js';

export interface CudaDevice {
  index: number;
  name: string;
  /** e.g. "9.0" */
  computeCapability: string;
  totalMemoryBytes: number;
}

/** What this build of the addon can accelerate; null where it was built without that backend. */
export interface Capabilities {
  cuda: { runtimeVersion: string; devices: CudaDevice[] } | null;
  /** version: the TensorRT library loaded; lean: linked against the lean runtime. */
  tensorrt: { version: string; headerVersion: string; lean: boolean } | null;
}

/** Milliseconds per stage of one pipeline call, measured with CUDA events. */
export interface GpuStageTimes {
  upload: number;
  preprocess: number;
  imageEncoder: number;
  textEncoder: number;
  textProjection: number;
  maskDecoder: number;
  postprocess: number;
  download: number;
}

/** What TensorRtPipeline.open() needs: the engine files and the package's dimensions. */
export interface TensorRtPipelineConfig {
  imageEncoder: string;
  textEncoder: string;
  textProjection: string;
  maskDecoder: string;
  /** Ends every E_ENGINE_MISMATCH message: the command that rebuilds the engines. */
  rebuildHint: string;
  device: number;
  imageSize: number;
  mean: [number, number, number];
  std: [number, number, number];
  embedChannels: number;
  embedH: number;
  embedW: number;
  highResFeatures: boolean;
  contextLength: number;
  attentionMask: boolean;
  textDim: number;
  promptTokens: number;
  promptDim: number;
  maskSize: number;
  candidates: number;
}

export interface TensorRtSegmentOutput {
  /** batch × originalH × originalW bytes of 0/1, already smoothed. */
  masks: Uint8Array;
  iou: Float32Array;
  index: Int32Array;
  passed: Uint8Array;
  times: GpuStageTimes;
}

/** The GPU pipeline of the addon (native/tensorrt/pipeline.h); present only in TensorRT builds. */
export interface TensorRtPipeline {
  readonly maxPrompts: number;
  readonly slotBytes: number;
  encodeImage(rgb: Uint8Array, width: number, height: number): Promise<{ slot: number; times: GpuStageTimes }>;
  segment(
    slot: number,
    inputIds: BigInt64Array,
    attentionMask: BigInt64Array | null,
    batch: number,
    threshold: number,
    smoothness: number,
    resizedH: number,
    resizedW: number,
    originalH: number,
    originalW: number,
  ): Promise<TensorRtSegmentOutput>;
  releaseImage(slot: number): Promise<void>;
  close(): Promise<void>;
}

export type MorphologyOp = 'dilate' | 'erode' | 'open' | 'close';

/** The addon's exports. Promise-returning functions reject (code E_INVALID_OPTION) on bad input. */
export interface NativeAddon {
  readonly version: string;
  capabilities(): Capabilities;
  TensorRtPipeline?: { open(config: TensorRtPipelineConfig): Promise<TensorRtPipeline> };
  postprocessMasks(
    lowres: Float32Array,
    numMasks: number,
    lowresSize: number,
    inputSize: number,
    resizedH: number,
    resizedW: number,
    originalH: number,
    originalW: number,
  ): Promise<Uint8Array>;
  postprocessInstanceMasks(
    logits: Float32Array,
    numMasks: number,
    maskSize: number,
    originalH: number,
    originalW: number,
    maskThreshold: number,
  ): Promise<Uint8Array>;
  morphology(mask: Uint8Array, width: number, height: number, op: MorphologyOp, k: number): Promise<Uint8Array>;
  maskStats(mask: Uint8Array, width: number, height: number): Promise<{ area: number; bbox: [number, number, number, number] }>;
  encodeRle(mask: Uint8Array, width: number, height: number): Promise<Uint32Array>;
  normalizeToNchw(
    rgb: Uint8Array,
    width: number,
    height: number,
    size: number,
    mean: [number, number, number],
    std: [number, number, number],
  ): Promise<Float32Array>;
  upscaleRgb(rgb: Uint8Array, width: number, height: number, outWidth: number, outHeight: number): Promise<Uint8Array>;
  resizeRgb(rgb: Uint8Array, width: number, height: number, outWidth: number, outHeight: number): Promise<Uint8Array>;
}

// This file runs as dist/native.js, so the package root is one level up.
const packageRoot = path.resolve(__dirname, '..');

let addon: NativeAddon | undefined;

/** The addon, loaded on first use so that importing the library never fails by itself. */
export function native(): NativeAddon {
  if (addon) return addon;
  try {
    const load = require('node-gyp-build') as (dir: string) => unknown;
    addon = load(packageRoot) as NativeAddon;
  } catch (cause) {
    throw new Sam3ClipError(
      'E_NATIVE',
      `The sam3clip native addon could not be loaded (${cause instanceof Error ? cause.message : String(cause)}). ` +
        'No prebuilt addon fits this system and none was built from source: run ' +
        '`npm rebuild sam3clip --build-from-source` (in a checkout: `npm run build:native`); it needs CMake >= 3.19 ' +
        'and a C++17 compiler.',
      { cause },
    );
  }
  return addon;
}

export function capabilities(): Capabilities {
  return native().capabilities();
}

/** The addon's version (the package version it was built from). */
export function nativeVersion(): string {
  return native().version;
}
