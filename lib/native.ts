/**
 * Loads the native addon (build/Release/sam3clip.node, or prebuilds/<platform>-<arch>/ from
 * `npm run prebuilds`) and declares its exports. The addon re-validates every argument; the
 * friendly checks and option objects live in ops.ts.
 */
import path from 'node:path';
import { Sam3ClipError } from './errors.js';
import { openvinoAddon } from './openvino-addon.js';

export interface CudaDevice {
  index: number;
  name: string;
  /** e.g. "9.0" */
  computeCapability: string;
  totalMemoryBytes: number;
}

/** The CPU's vector and matrix extensions; each true where the CPU has it and the OS enables its registers. */
export interface CpuFeatures {
  avx2: boolean;
  fma: boolean;
  avx512f: boolean;
  avx512bw: boolean;
  avx512vl: boolean;
  avx512Vnni: boolean;
  avx512Bf16: boolean;
  avx512Fp16: boolean;
  amxTile: boolean;
  amxBf16: boolean;
  amxInt8: boolean;
}

export interface CpuInfo {
  /** As process.arch names it: 'x64', 'arm64', … */
  arch: string;
  /** CPUID's vendor and brand string ('GenuineIntel', 'Intel(R) Xeon(R) …'); '' off x86. */
  vendor: string;
  brand: string;
  /** All false off x86. */
  features: CpuFeatures;
}

/** What the addon itself reports (native/addon/capabilities.cpp); null where it was built without that backend. */
export interface NativeCapabilities {
  cuda: { runtimeVersion: string; devices: CudaDevice[] } | null;
  /** version: the TensorRT library loaded; lean: linked against the lean runtime. */
  tensorrt: { version: string; headerVersion: string; lean: boolean } | null;
  cpu: CpuInfo;
}

/** The OpenVINO backend's runtime and the CPU device it runs on. */
export interface OpenVinoCapability {
  /** The runtime's build version, e.g. '2026.4.1-22982-e213a147257-releases/2026/4'. */
  version: string;
  /** The CPU as OpenVINO names it. */
  device: string;
  /** What OpenVINO's CPU plugin can compute in (ov::device::capabilities): 'FP32', 'BF16', 'INT8', … */
  deviceCapabilities: string[];
  /** The precision the 'openvino' backend computes in by default here. */
  bestPrecision: 'bf16' | 'f32';
}

/** What this installation can accelerate: the addon's backends, the CPU, and the OpenVINO module. */
export interface Capabilities extends NativeCapabilities {
  /** null where the OpenVINO module is absent or does not load; openvinoReason says why. */
  openvino: OpenVinoCapability | null;
  openvinoReason?: string;
}

/** Milliseconds of the image stages, measured with CUDA events; both pipelines report them. */
export interface GpuImageStageTimes {
  upload: number;
  preprocess: number;
  imageEncoder: number;
}

/** Milliseconds per stage of one pipeline call, measured with CUDA events. */
export interface GpuStageTimes extends GpuImageStageTimes {
  textEncoder: number;
  textProjection: number;
  maskDecoder: number;
  postprocess: number;
  download: number;
}

/** What both pipelines' open() need: the engine files both have and the package's image and text dimensions. */
export interface TensorRtPipelineConfigBase {
  imageEncoder: string;
  textEncoder: string;
  /** Ends every E_ENGINE_MISMATCH message: the command that rebuilds the engines. */
  rebuildHint: string;
  device: number;
  imageSize: number;
  mean: [number, number, number];
  std: [number, number, number];
  embedChannels: number;
  embedH: number;
  embedW: number;
  contextLength: number;
  maskSize: number;
}

/** What TensorRtPipeline.open() needs: the engine files and the package's dimensions. */
export interface TensorRtPipelineConfig extends TensorRtPipelineConfigBase {
  textProjection: string;
  maskDecoder: string;
  /** Absent where the engine folder has no prompt_encoder (built before the interactive path). */
  promptEncoder?: string;
  highResFeatures: boolean;
  attentionMask: boolean;
  textDim: number;
  promptTokens: number;
  promptDim: number;
  candidates: number;
}

/** A tensor fed to runInteractive. */
export interface TensorRtFeed {
  type: 'float32' | 'int64';
  dims: number[];
  data: Float32Array | BigInt64Array;
}

export interface TensorRtInteractiveOutput {
  outputs: Record<string, { dims: number[]; data: Float32Array }>;
  /** The engine's run, ms (CUDA events). */
  times: { run: number };
}

/** What both GPU pipelines of the addon have: image slots in device memory and the prompt batch limit. */
export interface TensorRtPipelineBase<Times extends GpuImageStageTimes> {
  readonly maxPrompts: number;
  readonly slotBytes: number;
  /** Prompts one runInteractive takes at most; 0 where the engines lack the interactive path. */
  readonly interactiveBatch: number;
  encodeImage(rgb: Uint8Array, width: number, height: number): Promise<{ slot: number; times: Times }>;
  /**
   * One run of an interactive graph on an image slot: the slot's features feed the mask decoder's
   * image inputs, `feeds` the rest (input_points + input_labels, or prompt_embeds).
   */
  runInteractive(slot: number, graph: 'prompt_encoder' | 'mask_decoder', feeds: Record<string, TensorRtFeed>): Promise<TensorRtInteractiveOutput>;
  releaseImage(slot: number): Promise<void>;
  close(): Promise<void>;
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
export interface TensorRtPipeline extends TensorRtPipelineBase<GpuStageTimes> {
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
}

/** Milliseconds per stage of one sam3-concept pipeline call, measured with CUDA events. */
export interface GpuConceptStageTimes extends GpuImageStageTimes {
  textEncoder: number;
  detector: number;
  postprocess: number;
  download: number;
}

/** What TensorRtConceptPipeline.open() needs: the three engine files and the package's dimensions. */
/** embedChannels, embedH, embedW: C, h, w of fpn_feats_2. */
export interface TensorRtConceptPipelineConfig extends TensorRtPipelineConfigBase {
  detector: string;
  textFeatures: number;
  queries: number;
  /** The tracker path: the image encoder's image_embeddings [1,C,h,w] and high-res levels, kept per slot. */
  tracker?: { embedChannels: number; embedH: number; embedW: number; maskSize: number; candidates: number };
  /** With `tracker`, where the engine folder has both. */
  promptEncoder?: string;
  maskDecoder?: string;
}

export interface TensorRtDetectOutput {
  /** batch × Q detector logits. */
  logits: Float32Array;
  /** batch × Q × 4 boxes, xyxy on the 0–1 scale. */
  boxes: Float32Array;
  /** batch presence logits. */
  presence: Float32Array;
  /** Kept queries per prompt. */
  counts: Int32Array;
  /** The kept queries, prompt after prompt, best first. */
  kept: Int32Array;
  /** One originalH × originalW mask (0/1, smoothed) per kept query, in the order of `kept`. */
  masks: Uint8Array;
  /** More queries were kept than maxMasks allows: no masks were made. */
  masksSkipped: boolean;
  times: GpuConceptStageTimes;
}

/** The sam3-concept GPU pipeline of the addon (native/tensorrt/concept_pipeline.h); only in TensorRT builds. */
export interface TensorRtConceptPipeline extends TensorRtPipelineBase<GpuConceptStageTimes> {
  detect(
    slot: number,
    inputIds: BigInt64Array,
    attentionMask: BigInt64Array,
    batch: number,
    threshold: number,
    maxInstances: number,
    maskThreshold: number,
    smoothness: number,
    originalH: number,
    originalW: number,
    maxMasks: number,
  ): Promise<TensorRtDetectOutput>;
}

export type MorphologyOp = 'dilate' | 'erode' | 'open' | 'close';

/** The addon's exports. Promise-returning functions reject (code E_INVALID_OPTION) on bad input. */
export interface NativeAddon {
  readonly version: string;
  capabilities(): NativeCapabilities;
  TensorRtPipeline?: { open(config: TensorRtPipelineConfig): Promise<TensorRtPipeline> };
  TensorRtConceptPipeline?: { open(config: TensorRtConceptPipelineConfig): Promise<TensorRtConceptPipeline> };
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
  resizeRgb(rgb: Uint8Array, width: number, height: number, outWidth: number, outHeight: number, filter?: 'bilinear' | 'bicubic'): Promise<Uint8Array>;
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

/** The addon's capabilities with the OpenVINO module's, which is a separate addon (lib/openvino-addon.ts). */
export function capabilities(): Capabilities {
  const caps = native().capabilities();
  const openvino = openvinoAddon();
  if (!openvino.addon) return { ...caps, openvino: null, openvinoReason: openvino.reason ?? 'the OpenVINO backend is unavailable' };
  const device = openvino.device!;
  return {
    ...caps,
    openvino: {
      version: openvino.addon.openvinoVersion(),
      device: device.name,
      deviceCapabilities: device.capabilities,
      bestPrecision: device.bestPrecision,
    },
  };
}

/** The addon's version (the package version it was built from). */
export function nativeVersion(): string {
  return native().version;
}
