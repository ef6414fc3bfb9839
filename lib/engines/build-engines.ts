/**
 * `npm run build-engines` / `sam3clip build-engines`: turns a model package's four ONNX graphs
 * into TensorRT engines for this GPU with the native sam3clip_engine_builder tool, one graph at a
 * time, then writes metadata.json. Engines are built into a temporary folder and renamed into
 * place at the end, so a failed or interrupted build never leaves a half-built folder behind.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { Sam3ClipError, type ErrorCode } from '../errors.js';
import { loadModelPackage } from '../model/manifest.js';
import {
  graphNames,
  hasInteractivePath,
  hasTextPath,
  isConceptManifest,
  textPathSpec,
  type GraphName,
  type ModelManifest,
  type PackageFile,
  type Precision,
  type TokenizerSpec,
} from '../model/manifest-types.js';
import { MAX_PROMPT_POINTS } from '../prompts.js';
import { enginesRoot, engineFolderName } from './engine-location.js';
import {
  ENGINE_METADATA_FILE,
  ENGINE_METADATA_FORMAT,
  ENGINE_METADATA_VERSION,
  type EngineFileInfo,
  type EngineMetadata,
  type ShapeRange,
} from './engine-metadata.js';
import type { BuildProgress } from './progress-bar.js';

export interface BuildEnginesOptions {
  /** The model package folder. */
  models: string;
  /** Engines root (default: $SAM3CLIP_ENGINES or the package's engines/). */
  engines?: string;
  /** Largest prompt batch the engines accept (default 16). */
  maxPrompts?: number;
  /** Builder workspace limit in MiB (default 4096). */
  workspaceMiB?: number;
  /** Engine precision (default fp16). TensorRT 11 builds fp16 only from fp16 graphs. */
  precision?: Precision;
  /** Build engines the lean runtime of later TensorRT versions can run. */
  versionCompatible?: boolean;
  onProgress?: (progress: BuildProgress) => void;
}

export interface BuildEnginesResult {
  dir: string;
  metadata: EngineMetadata;
  seconds: number;
}

// This file runs as dist/engines/build-engines.js: the package root is two levels up.
const packageRoot = path.resolve(__dirname, '..', '..');

/** The native builder tool; $SAM3CLIP_ENGINE_BUILDER overrides where it is looked for. */
export function engineBuilderPath(): string {
  const exe = process.platform === 'win32' ? 'sam3clip_engine_builder.exe' : 'sam3clip_engine_builder';
  return process.env.SAM3CLIP_ENGINE_BUILDER ?? path.join(packageRoot, 'build', 'Release', exe);
}

const HOW_TO_BUILD =
  'Install TensorRT 10 or 11 (headers, libnvinfer and libnvonnxparser) and CUDA, then rebuild the addon pointing at it: ' +
  'TENSORRT_ROOT=/path/to/TensorRT npm run build:native (or pass --CDTENSORRT_INCLUDE_DIR=… --CDTENSORRT_LIB_DIR=… to cmake-js). ' +
  '`sam3clip info` shows what the current build supports.';

type BuilderEvent =
  | { event: 'info'; tensorrt: string; headerVersion: string; device: { name: string; computeCapability: string; totalMemoryBytes: number } | null }
  | { event: 'progress'; phase: string; step: number; steps: number }
  | { event: 'done'; engineBytes: number; stronglyTyped: boolean }
  | { event: 'error'; code: string; message: string };

const KNOWN_CODES: ErrorCode[] = ['E_INVALID_OPTION', 'E_MODEL_FILE', 'E_TENSORRT', 'E_GPU_OOM', 'E_CUDA'];

/** Runs the builder, passing each JSON line to onEvent; resolves with the error event, if any. */
async function runBuilder(args: string[], onEvent: (e: BuilderEvent) => void): Promise<void> {
  const exe = engineBuilderPath();
  const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let failure: Extract<BuilderEvent, { event: 'error' }> | undefined;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const lines = readline.createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    let event: BuilderEvent;
    try {
      event = JSON.parse(line) as BuilderEvent;
    } catch {
      return; // not part of the protocol
    }
    if (event.event === 'error') failure = event;
    else onEvent(event);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  }).catch((cause: Error) => {
    throw new Sam3ClipError('E_TENSORRT_UNAVAILABLE', `Cannot run the engine builder ${exe}: ${cause.message}. ${HOW_TO_BUILD}`, { cause });
  });
  if (failure) {
    const errorCode = KNOWN_CODES.includes(failure.code as ErrorCode) ? (failure.code as ErrorCode) : 'E_TENSORRT';
    throw new Sam3ClipError(errorCode, failure.message);
  }
  if (code !== 0) throw new Sam3ClipError('E_TENSORRT', `The engine builder exited with ${code}${stderr ? `: ${stderr.trim()}` : ''}`);
}

/** Tokens one interactive prompt may send the mask decoder beyond its text tokens: points, a box's two corners, the pad. */
const INTERACTIVE_TOKENS = MAX_PROMPT_POINTS + 3;
/** Box exemplars per prompt the detector_boxes engine takes. */
const ENGINE_MAX_BOXES = 16;

/** Optimization-profile shapes of each graph's inputs: the prompt batch ranges over 1..maxPrompts. */
export function graphProfiles(m: ModelManifest, maxPrompts: number): Partial<Record<GraphName, Record<string, ShapeRange>>> {
  const fixed = (dims: number[]): ShapeRange => ({ min: dims, opt: dims, max: dims });
  const batched = (rest: number[]): ShapeRange => ({
    min: [1, ...rest],
    opt: [Math.min(4, maxPrompts), ...rest],
    max: [maxPrompts, ...rest],
  });
  /** [B, n, ...rest] with n from 1 to maxTokens as well. */
  const tokenBatched = (optTokens: number, maxTokens: number, rest: number[]): ShapeRange => ({
    min: [1, 1, ...rest],
    opt: [Math.min(4, maxPrompts), optTokens, ...rest],
    max: [maxPrompts, maxTokens, ...rest],
  });
  const { size: S } = m.image;
  const [h, w] = m.dims.embeddingSize;
  const C = m.dims.embeddingChannels;
  const tokens = (spec: TokenizerSpec) => ({
    input_ids: batched([spec.contextLength]),
    ...(spec.attentionMask ? { attention_mask: batched([spec.contextLength]) } : {}),
  });
  const interactive = (C: number, [h, w]: [number, number], highRes: boolean, textTokens: number, P = C) => {
    const image: Record<string, ShapeRange> = { image_embeddings: fixed([1, C, h, w]) };
    if (highRes) {
      image.high_res_feats_0 = fixed([1, 32, 4 * h, 4 * w]);
      image.high_res_feats_1 = fixed([1, 64, 2 * h, 2 * w]);
    }
    return {
      prompt_encoder: { input_points: tokenBatched(2, INTERACTIVE_TOKENS, [2]), input_labels: tokenBatched(2, INTERACTIVE_TOKENS, []) },
      mask_decoder: { ...image, prompt_embeds: tokenBatched(Math.max(textTokens, 1), textTokens + INTERACTIVE_TOKENS, [P]) },
    };
  };
  if (isConceptManifest(m)) {
    const L = m.tokenizer.contextLength;
    const T = m.dims.textFeatures;
    const fpn = { fpn_feats_0: fixed([1, C, 4 * h, 4 * w]), fpn_feats_1: fixed([1, C, 2 * h, 2 * w]), fpn_feats_2: fixed([1, C, h, w]) };
    const detector = { ...fpn, text_features: batched([L, T]), attention_mask: batched([L]) };
    const { prompt_encoder, mask_decoder } = m.tracker ? interactive(m.tracker.embeddingChannels, m.tracker.embeddingSize, true, 0) : {};
    const profiles: Partial<Record<GraphName, Record<string, ShapeRange>>> = {
      image_encoder: { pixel_values: fixed([1, 3, S, S]) },
      text_encoder: tokens(m.tokenizer),
      detector,
      detector_boxes: { ...detector, input_boxes: tokenBatched(1, ENGINE_MAX_BOXES, [4]), input_boxes_labels: tokenBatched(1, ENGINE_MAX_BOXES, []) },
      ...(prompt_encoder ? { prompt_encoder, mask_decoder } : {}),
    };
    return pick(profiles, graphNames(m));
  }
  const text = hasTextPath(m) ? textPathSpec(m) : undefined;
  const textTokens = text?.promptTokens ?? 0;
  const profiles: Partial<Record<GraphName, Record<string, ShapeRange>>> = {
    image_encoder: { pixel_values: fixed([1, 3, S, S]) },
    ...(text
      ? {
          text_encoder: tokens(text.tokenizer),
          text_projection: { text_embeds: batched([text.textEmbedding]) },
        }
      : {}),
    ...interactive(C, [h, w], m.dims.highResFeatures, textTokens, m.dims.promptEmbedding),
  };
  // The text path alone: the decoder's prompt tokens are the projection's N, as before.
  if (!hasInteractivePath(m) && text) profiles.mask_decoder!.prompt_embeds = batched([textTokens, m.dims.promptEmbedding]);
  return pick(profiles, graphNames(m));
}

/** The profiles of the graphs the package lists. */
function pick(profiles: Partial<Record<GraphName, Record<string, ShapeRange>>>, graphs: readonly GraphName[]) {
  return Object.fromEntries(graphs.filter((g) => profiles[g]).map((g) => [g, profiles[g]!])) as Partial<Record<GraphName, Record<string, ShapeRange>>>;
}

function integerOption(value: number | undefined, name: string, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max)
    throw new Sam3ClipError('E_INVALID_OPTION', `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`, { field: name });
  return v;
}

export async function buildEngines(options: BuildEnginesOptions): Promise<BuildEnginesResult> {
  const started = performance.now();
  const maxPrompts = integerOption(options.maxPrompts, 'maxPrompts', 16, 1, 1024);
  const workspaceMiB = integerOption(options.workspaceMiB, 'workspaceMiB', 4096, 16, 1 << 20);
  const precision = options.precision ?? 'fp16';
  if (precision !== 'fp16' && precision !== 'fp32')
    throw new Sam3ClipError('E_INVALID_OPTION', `precision must be fp16 or fp32, got ${JSON.stringify(precision)}`, { field: 'precision' });
  const pkg = await loadModelPackage(options.models);
  const m = pkg.manifest;

  if (!existsSync(engineBuilderPath()))
    throw new Sam3ClipError('E_TENSORRT_UNAVAILABLE', `This build of sam3clip has no TensorRT engine builder (${engineBuilderPath()} is missing). ${HOW_TO_BUILD}`);

  let info: Extract<BuilderEvent, { event: 'info' }> | undefined;
  await runBuilder(['--probe'], (e) => {
    if (e.event === 'info') info = e;
  });
  if (!info) throw new Sam3ClipError('E_TENSORRT', 'The engine builder did not report its TensorRT version');
  const device = info.device;
  if (!device) throw new Sam3ClipError('E_BACKEND_UNAVAILABLE', 'No CUDA device is visible to the engine builder: engines are built on the GPU that will run them');
  if (precision === 'fp16' && m.precision === 'fp32' && Number(info.tensorrt.split('.')[0]) >= 11)
    throw new Sam3ClipError(
      'E_INVALID_OPTION',
      `TensorRT ${info.tensorrt} builds FP16 engines only from FP16 graphs, and ${m.name} is an FP32 export: ` +
        'export the package with --precision fp16 (scripts/export), or build with --precision fp32',
      { field: 'precision' },
    );

  const root = enginesRoot(options.engines);
  const folder = engineFolderName(device.computeCapability, info.tensorrt);
  const dir = path.join(root, m.name, folder);
  const staging = `${dir}.partial-${process.pid}`;
  const timingCache = path.join(root, 'timing-cache', `${folder}.cache`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await mkdir(path.dirname(timingCache), { recursive: true });

  const profiles = graphProfiles(m, maxPrompts);
  const engines = {} as Record<GraphName, EngineFileInfo>;
  // CLIP's image tower (prompt suggestions) runs on the CPU backends only: no engine for it.
  const graphs = graphNames(m).filter((g) => g !== 'image_tower');
  const sources = m.files as Partial<Record<GraphName, PackageFile>>;
  try {
    for (const [i, graph] of graphs.entries()) {
      const file = `${graph}.engine`;
      const args = [
        '--onnx', pkg.paths[graph],
        '--out', path.join(staging, file),
        '--timing-cache', timingCache,
        '--workspace-mib', String(workspaceMiB),
        '--precision', precision,
        '--graph-precision', m.precision,
        ...(options.versionCompatible ? ['--version-compatible'] : []),
        ...Object.entries(profiles[graph]!).flatMap(([name, r]) => ['--shape', `${name}:${[r.min, r.opt, r.max].map((d) => d.join('x')).join(',')}`]),
      ];
      const report = (phase: string, fraction?: number) =>
        options.onProgress?.({ graph, index: i + 1, total: graphs.length, phase, ...(fraction === undefined ? {} : { fraction }) });
      report('parsing');
      await runBuilder(args, (e) => {
        if (e.event === 'progress' && e.steps > 0 && e.step >= 0) report(e.phase, e.step / e.steps);
      });
      report('done', 1);
      const bytes = (await stat(path.join(staging, file))).size;
      engines[graph] = { path: file, bytes, sourceSha256: sources[graph]!.sha256, profiles: profiles[graph]! };
    }
    const metadata: EngineMetadata = {
      format: ENGINE_METADATA_FORMAT,
      formatVersion: ENGINE_METADATA_VERSION,
      package: { name: m.name, family: m.family, precision: m.precision },
      tensorrt: { version: info.tensorrt, versionCompatible: options.versionCompatible ?? false },
      gpu: { name: device.name, computeCapability: device.computeCapability },
      precision,
      maxPrompts,
      builtAt: new Date().toISOString(),
      engines,
    };
    await writeFile(path.join(staging, ENGINE_METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
    return { dir, metadata, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

