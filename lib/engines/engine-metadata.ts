/**
 * metadata.json of an engine folder (engines/<package>/<gpu-arch>-trt<version>/): what the
 * engines were built from and for. The TensorRT backend refuses a folder whose metadata does not
 * match the package, the GPU or the TensorRT library, with E_ENGINE_MISMATCH and the command that
 * rebuilds it — a stale engine is never loaded.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Sam3ClipError } from '../errors.js';
import type { ModelPackage } from '../model/manifest.js';
import { graphNames, hasInteractivePath, isConceptManifest, type GraphName, type ModelManifest, type PackageFile, type Precision } from '../model/manifest-types.js';

export const ENGINE_METADATA_FORMAT = 'sam3clip-engines';
export const ENGINE_METADATA_VERSION = 1;
export const ENGINE_METADATA_FILE = 'metadata.json';

export interface ShapeRange {
  min: number[];
  opt: number[];
  max: number[];
}

export interface EngineFileInfo {
  path: string;
  bytes: number;
  /** SHA-256 of the ONNX graph the engine was built from (the manifest's files.<graph>.sha256). */
  sourceSha256: string;
  /** Input name → the optimization profile's shapes. */
  profiles: Record<string, ShapeRange>;
}

export interface EngineMetadata {
  format: typeof ENGINE_METADATA_FORMAT;
  formatVersion: typeof ENGINE_METADATA_VERSION;
  package: { name: string; family: string; precision: Precision };
  tensorrt: { version: string; versionCompatible: boolean };
  gpu: { name: string; computeCapability: string };
  /** The precision the engines compute in. */
  precision: Precision;
  maxPrompts: number;
  builtAt: string;
  /** One engine per graph of the package's family (engineRequired says which a folder may lack). */
  engines: Partial<Record<GraphName, EngineFileInfo>>;
}

/**
 * Whether the TensorRT backend needs this graph's engine to load. The interactive path's engines
 * (and sam3-concept's detector_boxes, which no TensorRT pipeline runs) may be missing: a folder built
 * before they existed still runs text prompts, and points and boxes then ask for a rebuild. The
 * tracker families' mask_decoder is the text path's decoder too, so it is always needed.
 */
export function engineRequired(m: ModelManifest, graph: GraphName): boolean {
  // CLIP's image tower (suggestions) is never built into an engine: suggest() runs on the CPU backends.
  if (graph === 'prompt_encoder' || graph === 'detector_boxes' || graph === 'image_tower') return false;
  return !(graph === 'mask_decoder' && isConceptManifest(m));
}

/** Whether the folder has the engines of the package's interactive path (points and boxes). */
export function hasInteractiveEngines(meta: EngineMetadata, m: ModelManifest): boolean {
  return hasInteractivePath(m) && meta.engines.prompt_encoder !== undefined && meta.engines.mask_decoder !== undefined;
}

/** The command that builds (or rebuilds) the engines of a package. */
export function buildEnginesCommand(modelsDir: string): string {
  return `npm run build-engines -- --models ${JSON.stringify(modelsDir)}`;
}

export function rebuildCommand(modelsDir: string): string {
  return `Rebuild the engines with: ${buildEnginesCommand(modelsDir)}`;
}

function mismatch(dir: string, problem: string, modelsDir: string): Sam3ClipError {
  return new Sam3ClipError('E_ENGINE_MISMATCH', `Engines in ${dir} ${problem}. ${rebuildCommand(modelsDir)}`, {
    file: path.join(dir, ENGINE_METADATA_FILE),
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads and checks the shape of metadata.json; anything unreadable or foreign is E_ENGINE_MISMATCH. */
export async function readEngineMetadata(dir: string, modelsDir: string): Promise<EngineMetadata> {
  let text: string;
  try {
    text = await readFile(path.join(dir, ENGINE_METADATA_FILE), 'utf8');
  } catch {
    throw mismatch(dir, `have no readable ${ENGINE_METADATA_FILE}`, modelsDir);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch {
    throw mismatch(dir, `have a ${ENGINE_METADATA_FILE} that is not JSON`, modelsDir);
  }
  if (!isObject(meta) || meta.format !== ENGINE_METADATA_FORMAT)
    throw mismatch(dir, `are not sam3clip engines (${ENGINE_METADATA_FILE} has no format "${ENGINE_METADATA_FORMAT}")`, modelsDir);
  if (meta.formatVersion !== ENGINE_METADATA_VERSION)
    throw mismatch(dir, `use metadata format ${JSON.stringify(meta.formatVersion)}; this version reads ${ENGINE_METADATA_VERSION}`, modelsDir);
  const pkg = meta.package, trt = meta.tensorrt, gpu = meta.gpu, engines = meta.engines;
  const ok =
    isObject(pkg) && typeof pkg.name === 'string' &&
    isObject(trt) && typeof trt.version === 'string' && typeof trt.versionCompatible === 'boolean' &&
    isObject(gpu) && typeof gpu.computeCapability === 'string' &&
    (meta.precision === 'fp16' || meta.precision === 'fp32') &&
    Number.isInteger(meta.maxPrompts) && (meta.maxPrompts as number) >= 1 &&
    isObject(engines) &&
    isObject(engines.image_encoder) &&
    Object.values(engines).every((e) => {
      return isObject(e) && typeof e.path === 'string' && typeof e.sourceSha256 === 'string' && !path.isAbsolute(e.path) && !e.path.includes('..');
    });
  if (!ok) throw mismatch(dir, `have an incomplete ${ENGINE_METADATA_FILE}`, modelsDir);
  return meta as unknown as EngineMetadata;
}

/** The runtime the engines must fit; absent where this build cannot tell (no TensorRT, no GPU). */
export interface EngineRuntime {
  tensorrtVersion: string;
  computeCapability: string;
}

const majorMinor = (v: string) => v.split('.').slice(0, 2).join('.');

/**
 * Checks the engines against the package (same name, built from the same ONNX bytes) and, when
 * given, the TensorRT library and GPU in use. Lists every difference in one E_ENGINE_MISMATCH.
 */
export function checkEngineMetadata(meta: EngineMetadata, dir: string, pkg: ModelPackage, runtime?: EngineRuntime): void {
  const problems: string[] = [];
  const manifest = pkg.manifest;
  if (meta.package.name !== manifest.name) problems.push(`were built for package "${meta.package.name}", not "${manifest.name}"`);
  const files = manifest.files as Partial<Record<GraphName, PackageFile>>;
  for (const g of graphNames(manifest)) {
    const engine = meta.engines[g];
    const source = files[g]!;
    if (!engine) {
      if (engineRequired(manifest, g)) problems.push(`have no engine for ${g}`);
    } else if (engine.sourceSha256 !== source.sha256)
      problems.push(`${g} was built from another ${source.path} (source SHA-256 ${engine.sourceSha256.slice(0, 12)}…, package has ${source.sha256.slice(0, 12)}…)`);
  }
  if (runtime) {
    const built = majorMinor(meta.tensorrt.version), running = majorMinor(runtime.tensorrtVersion);
    const compatible = meta.tensorrt.versionCompatible && Number(running.split('.')[0]) >= Number(built.split('.')[0]);
    if (built !== running && !compatible)
      problems.push(`were built by TensorRT ${meta.tensorrt.version}, this addon runs TensorRT ${runtime.tensorrtVersion}`);
    if (meta.gpu.computeCapability !== runtime.computeCapability && !meta.tensorrt.versionCompatible)
      problems.push(`were built for compute capability ${meta.gpu.computeCapability} (${meta.gpu.name}), this GPU is ${runtime.computeCapability}`);
  }
  if (problems.length > 0) throw mismatch(dir, problems.join('; '), pkg.dir);
}
