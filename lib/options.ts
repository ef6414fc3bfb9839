import os from 'node:os';
import path from 'node:path';
import { Sam3ClipError } from './errors.js';
import { DEFAULT_MAX_PIXELS } from './image/decode.js';
import type { GraphName } from './model/manifest-types.js';

export type BackendChoice = 'auto' | 'cpu' | 'openvino' | 'tensorrt';

/** What the OpenVINO backend computes in: 'auto' is BF16 where the CPU has it (AMX or AVX-512 BF16), else FP32. */
export type InferencePrecision = 'auto' | 'bf16' | 'fp32';

export interface CacheOptions {
  /** Image embeddings kept by content hash (default 8; 0 disables). */
  images?: number;
  /** Prompt embeddings kept by prompt text (default 256; 0 disables). */
  prompts?: number;
}

export interface SegmenterOptions {
  /** Model package folder; defaults to $SAM3CLIP_MODELS. */
  models?: string;
  /**
   * 'auto' (default): TensorRT where engines and a GPU exist, else OpenVINO on x86 CPUs where it is
   * built and loads, else ONNX Runtime ('cpu'). backendInfo.reason says which and why.
   */
  backend?: BackendChoice;
  /** OpenVINO backend only: BF16 or FP32 inference (default 'auto': BF16 where the CPU has it). */
  inferencePrecision?: InferencePrecision;
  /**
   * Folder for what makes a second start fast: OpenVINO's compiled graphs and the model files'
   * verified hashes (by size, mtime, ctime, inode and device). Default $SAM3CLIP_CACHE_DIR, else
   * $XDG_CACHE_HOME/sam3clip, else ~/.cache/sam3clip; false: keep nothing.
   */
  modelCache?: string | false;
  /** Inference threads per graph (default: the machine's available parallelism). */
  threads?: number;
  /** Inference worker threads (default 1). Each holds a copy of the sessions. */
  workers?: number;
  cache?: CacheOptions | false;
  /** Largest input image in pixels (default 40 MP). */
  maxPixels?: number;
  /** Hash the model files against the manifest on load (default true). */
  verifyHashes?: boolean;
  /** TensorRT engines: a root holding <package>/<gpu>-trt<version>/ folders, or one such folder (default: $SAM3CLIP_ENGINES or engines/). */
  engines?: string;
  /** CUDA device index for the TensorRT backend (default 0). */
  device?: number;
  /** GPU memory for cached image features, MiB (default 2048); the least recently used are freed first. */
  gpuCacheMiB?: number;
  /**
   * Memory for the full-size masks one segment() call holds, MiB (default 2048). A call needs one
   * byte per image pixel for each prompt's mask, one for all negative masks together and four
   * working masks: (prompts + 1 if negatives + 4) × width × height (on the GPU backend: prompts +
   * negatives). A call past it fails with E_REQUEST_TOO_LARGE before the image is decoded.
   */
  maskBudgetMiB?: number;
}

export interface SegmentOptions {
  /**
   * Detection threshold, 0.1–0.9: on the predicted IoU (tracker families, default 0.5), or on each
   * instance's score σ(logit)·σ(presence) (sam3-concept, default the manifest's `thresholds.score`, 0.5).
   */
  threshold?: number;
  /** sam3-concept: most instances kept per prompt, best first (default 100). */
  maxInstances?: number;
  /** Mask smoothness 1–5: k×k morphological close, 1 = none (default 3). */
  smoothness?: number;
  /** Prompts whose masks are removed from every positive mask. */
  negative?: string | readonly string[];
  /**
   * Points and boxes: post-process every candidate of the tracker decoder, not only the selected
   * one (each result's `candidates[i].mask`, at the original size, smoothed). Default false.
   */
  allCandidates?: boolean;
  signal?: AbortSignal;
  /** Filled with this call's per-stage times (ms) when given. */
  timings?: StageTimings;
}

/** Wall time per stage of one call, and the raw session time per graph inside them (ms). */
export interface StageTimings {
  /** Reading, hashing and decoding + resizing the image (0 when the embedding was cached). */
  decode?: number;
  /** Normalization into pixel_values. */
  preprocess?: number;
  imageEncoder?: number;
  tokenize?: number;
  /** Text tower (+ projection on the tracker families), as one call. */
  promptEncoder?: number;
  /** The mask decoder (tracker families) or the detector (sam3-concept). */
  decoder?: number;
  postprocess?: number;
  total?: number;
  /** Whether the image embedding came from the cache. */
  cachedImage?: boolean;
  /** How many prompts came from the prompt cache. */
  cachedPrompts?: number;
  /** Time inside the ONNX Runtime / TensorRT runs only. */
  sessions?: Partial<Record<GraphName, number>>;
}

export interface ResolvedSegmenterOptions {
  models: string;
  backend: BackendChoice;
  inferencePrecision: InferencePrecision;
  /** Absent: no cache. */
  modelCache?: string;
  threads: number;
  workers: number;
  cache: Required<CacheOptions>;
  maxPixels: number;
  verifyHashes: boolean;
  engines?: string;
  device: number;
  gpuCacheMiB: number;
  maskBudgetMiB: number;
}

export const DEFAULT_MASK_BUDGET_MIB = 2048;

export const MAX_PROMPTS = 64;
const MAX_PROMPT_CHARS = 2000;

function invalid(field: string, message: string): Sam3ClipError {
  return new Sam3ClipError('E_INVALID_OPTION', `Option ${field} ${message}`, { field });
}

/**
 * Rejects option names the call does not know: a misspelt `threshhold: 0.3` would otherwise be
 * ignored and the call would silently run with the default.
 */
export function rejectUnknownOptions(options: object, known: readonly string[], prefix = ''): void {
  for (const name of Object.keys(options)) {
    if (!known.includes(name))
      throw invalid(`${prefix}${name}`, `is not a known option (known: ${known.join(', ')})`);
  }
}

const SEGMENTER_OPTIONS = [
  'models', 'backend', 'threads', 'workers', 'cache', 'maxPixels', 'verifyHashes', 'engines', 'device', 'gpuCacheMiB',
  'maskBudgetMiB', 'inferencePrecision', 'modelCache',
] as const satisfies readonly (keyof SegmenterOptions)[];
const CACHE_OPTIONS = ['images', 'prompts'] as const satisfies readonly (keyof CacheOptions)[];
const SEGMENT_OPTIONS = ['threshold', 'maxInstances', 'smoothness', 'negative', 'allCandidates', 'signal', 'timings'] as const satisfies readonly (keyof SegmentOptions)[];
export const EMBED_OPTIONS = ['signal', 'timings'] as const;

function integerIn(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalid(field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return value;
}

function booleanOption(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(field, `must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function stringOption(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(field, 'must be a non-empty string');
  return value;
}

/** The modelCache folder: the option, else $SAM3CLIP_CACHE_DIR, else the XDG cache; undefined when off. */
function resolveModelCache(value: unknown): string | undefined {
  if (value === false) return undefined;
  if (value !== undefined) return path.resolve(stringOption(value, 'modelCache'));
  const env = process.env.SAM3CLIP_CACHE_DIR;
  if (env !== undefined) return env === '' || env === '0' ? undefined : path.resolve(env);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'sam3clip');
}

export function resolveSegmenterOptions(options: SegmenterOptions = {}): ResolvedSegmenterOptions {
  if (options === null || typeof options !== 'object') throw invalid('options', 'must be an object');
  rejectUnknownOptions(options, SEGMENTER_OPTIONS);
  const models = options.models ?? process.env.SAM3CLIP_MODELS;
  if (typeof models !== 'string' || models === '')
    throw invalid('models', 'is required: a model package folder (or set SAM3CLIP_MODELS)');
  const backend = options.backend ?? 'auto';
  if (!['auto', 'cpu', 'openvino', 'tensorrt'].includes(backend))
    throw invalid('backend', "must be 'auto', 'cpu', 'openvino' or 'tensorrt'");
  const inferencePrecision = options.inferencePrecision ?? 'auto';
  if (!['auto', 'bf16', 'fp32'].includes(inferencePrecision))
    throw invalid('inferencePrecision', "must be 'auto', 'bf16' or 'fp32'");
  if (inferencePrecision !== 'auto' && (backend === 'cpu' || backend === 'tensorrt'))
    throw invalid('inferencePrecision', `applies to the OpenVINO backend only (backend is '${backend}')`);
  const modelCache = resolveModelCache(options.modelCache);
  const cache = options.cache === false ? { images: 0, prompts: 0 } : (options.cache ?? {});
  if (typeof cache !== 'object' || cache === null) throw invalid('cache', 'must be an object or false');
  rejectUnknownOptions(cache, CACHE_OPTIONS, 'cache.');
  return {
    models,
    backend,
    inferencePrecision,
    ...(modelCache === undefined ? {} : { modelCache }),
    threads: options.threads === undefined ? os.availableParallelism() : integerIn(options.threads, 'threads', 1, 1024),
    workers: options.workers === undefined ? 1 : integerIn(options.workers, 'workers', 1, 64),
    cache: {
      images: cache.images === undefined ? 8 : integerIn(cache.images, 'cache.images', 0, 100_000),
      prompts: cache.prompts === undefined ? 256 : integerIn(cache.prompts, 'cache.prompts', 0, 1_000_000),
    },
    maxPixels:
      options.maxPixels === undefined ? DEFAULT_MAX_PIXELS : integerIn(options.maxPixels, 'maxPixels', 1, 2 ** 31 - 1),
    verifyHashes: booleanOption(options.verifyHashes, 'verifyHashes', true),
    ...(options.engines === undefined ? {} : { engines: stringOption(options.engines, 'engines') }),
    device: options.device === undefined ? 0 : integerIn(options.device, 'device', 0, 1023),
    gpuCacheMiB: options.gpuCacheMiB === undefined ? 2048 : integerIn(options.gpuCacheMiB, 'gpuCacheMiB', 1, 1 << 24),
    maskBudgetMiB:
      options.maskBudgetMiB === undefined ? DEFAULT_MASK_BUDGET_MIB : integerIn(options.maskBudgetMiB, 'maskBudgetMiB', 1, 1 << 24),
  };
}

export interface ResolvedSegmentOptions {
  /** Absent: the family's default. */
  threshold?: number;
  maxInstances: number;
  smoothness: number;
  negative: string[];
  allCandidates: boolean;
  signal?: AbortSignal;
  timings?: StageTimings;
}

/** Prompts as a non-empty list of non-blank strings. */
export function resolvePrompts(prompts: unknown, field = 'prompt', allowEmptyList = false): string[] {
  const list = typeof prompts === 'string' ? [prompts] : prompts;
  if (!Array.isArray(list)) throw new Sam3ClipError('E_INVALID_PROMPT', `${field} must be a string or an array of strings`, { field });
  if (list.length === 0 && !allowEmptyList)
    throw new Sam3ClipError('E_INVALID_PROMPT', `${field} must name at least one thing to segment`, { field });
  if (list.length > MAX_PROMPTS)
    throw new Sam3ClipError('E_INVALID_PROMPT', `At most ${MAX_PROMPTS} prompts per call, got ${list.length}`, { field });
  return list.map((p, i) => {
    if (typeof p !== 'string' || p.trim() === '')
      throw new Sam3ClipError('E_INVALID_PROMPT', `${field}[${i}] is empty; describe the object, e.g. "a red car"`, { field });
    if (p.length > MAX_PROMPT_CHARS)
      throw new Sam3ClipError('E_INVALID_PROMPT', `${field}[${i}] is longer than ${MAX_PROMPT_CHARS} characters`, { field });
    return p;
  });
}

export function resolveSegmentOptions(options: SegmentOptions = {}): ResolvedSegmentOptions {
  if (options === null || typeof options !== 'object') throw invalid('options', 'must be an object');
  rejectUnknownOptions(options, SEGMENT_OPTIONS);
  const threshold = options.threshold;
  if (threshold !== undefined && (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0.1 || threshold > 0.9))
    throw invalid('threshold', `must be a number from 0.1 to 0.9, got ${JSON.stringify(threshold)}`);
  const maxInstances = options.maxInstances === undefined ? 100 : integerIn(options.maxInstances, 'maxInstances', 1, 10_000);
  const smoothness = options.smoothness === undefined ? 3 : integerIn(options.smoothness, 'smoothness', 1, 5);
  const negative = options.negative === undefined ? [] : resolvePrompts(options.negative, 'negative', true);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalid('signal', 'must be an AbortSignal');
  if (options.timings !== undefined && (options.timings === null || typeof options.timings !== 'object'))
    throw invalid('timings', 'must be an object to fill');
  return {
    ...(threshold === undefined ? {} : { threshold }),
    maxInstances,
    smoothness,
    negative,
    allCandidates: booleanOption(options.allCandidates, 'allCandidates', false),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timings ? { timings: options.timings } : {}),
  };
}
