import { existsSync } from 'node:fs';
import path from 'node:path';
import { Sam3ClipError } from '../errors.js';
import { engineFolder } from '../engines/engine-location.js';
import { buildEnginesCommand, checkEngineMetadata, readEngineMetadata, type EngineMetadata } from '../engines/engine-metadata.js';
import type { ModelPackage } from '../model/manifest.js';
import { hasTextPath, isConceptManifest } from '../model/manifest-types.js';
import { native } from '../native.js';
import type { ResolvedSegmenterOptions } from '../options.js';
import { openvinoAddon } from '../openvino-addon.js';
import type { Backend, BackendName } from './backend.js';
import { CpuBackend } from './cpu/cpu-backend.js';
import { OpenVinoBackend } from './openvino/openvino-backend.js';
import { TensorRtBackend } from './tensorrt/tensorrt-backend.js';
import { TensorRtConceptBackend } from './tensorrt/tensorrt-concept-backend.js';

export interface BackendSelection {
  name: BackendName;
  /** Why this backend: shown by `sam3clip info` and `segmenter.backendInfo`. */
  reason: string;
  /** The engine folder, for the TensorRT backend. */
  engines?: string;
  create(): Backend;
}

/**
 * The CPU backend 'auto' falls back to: OpenVINO where its module loads (x86-64 Linux builds), in
 * BF16 where the CPU has AMX; otherwise ONNX Runtime. `why` is what ruled out the GPU.
 */
function cpuSelection(options: ResolvedSegmenterOptions, pkg: ModelPackage, why: string): BackendSelection {
  const ort = (reason: string): BackendSelection => ({
    name: 'cpu',
    reason,
    create: () => new CpuBackend(pkg, { threads: options.threads, workers: options.workers }),
  });
  if (options.backend === 'cpu') return ort('requested with backend: "cpu" (ONNX Runtime)');
  const openvino = openvinoAddon();
  if (!openvino.addon) {
    if (options.backend === 'openvino')
      throw new Sam3ClipError('E_BACKEND_UNAVAILABLE', `backend "openvino" is unavailable: ${openvino.reason}. Use backend "cpu" (ONNX Runtime).`, {
        field: 'backend',
      });
    return ort(`auto: ${why}; ${openvino.reason}; using ONNX Runtime on the CPU`);
  }
  const addon = openvino.addon;
  const device = openvino.device!;
  // BF16 pays where AMX does the matrix products; with AVX-512 BF16 alone OpenVINO's BF16 encoder was
  // slower than its FP32 one (full-size SAM3 encoder on a 2-core Xeon without AMX: 45–58 s vs 34–39 s),
  // so 'auto' takes BF16 only with AMX.
  const amx = native().capabilities().cpu?.features.amxBf16 === true;
  const autoPrecision = device.bestPrecision === 'bf16' && amx ? 'bf16' : 'f32';
  const precision = options.inferencePrecision === 'auto' ? autoPrecision : options.inferencePrecision === 'bf16' ? 'bf16' : 'f32';
  if (precision === 'bf16' && device.bestPrecision !== 'bf16')
    throw new Sam3ClipError('E_BACKEND_UNAVAILABLE', `inferencePrecision "bf16" needs a CPU with AMX or AVX-512 BF16; ${device.name} has ${device.capabilities.join(', ')}`, {
      field: 'inferencePrecision',
    });
  const precisionWhy =
    options.inferencePrecision !== 'auto' ? '' : precision === 'bf16' ? ' (AMX)' : device.bestPrecision === 'bf16' ? ' (no AMX: BF16 would be slower)' : ' (no BF16 on this CPU)';
  const what = `OpenVINO ${addon.openvinoVersion().split('-')[0]} on ${device.name}, ${precision === 'bf16' ? 'BF16' : 'FP32'} inference${precisionWhy}`;
  return {
    name: 'openvino',
    reason: options.backend === 'openvino' ? `requested: ${what}` : `auto: ${why}; ${what} (preferred over ONNX Runtime on x86 CPUs)`,
    create: () =>
      new OpenVinoBackend(pkg, {
        addon,
        cpuName: device.name,
        precision,
        threads: options.threads,
        ...(options.modelCache ? { blobDir: path.join(options.modelCache, 'openvino') } : {}),
      }),
  };
}

/**
 * Picks the backend. 'auto' takes TensorRT where the addon has it, the GPU is visible and engines
 * built for this package, GPU and TensorRT exist; otherwise the CPU (OpenVINO, else ONNX Runtime), saying why. The engines are
 * checked against the package first, so a stale or foreign engine folder is reported as
 * E_ENGINE_MISMATCH (with the rebuild command) whatever else is missing.
 */
export async function selectBackend(options: ResolvedSegmenterOptions, pkg: ModelPackage): Promise<BackendSelection> {
  if (options.backend === 'cpu' || options.backend === 'openvino') return cpuSelection(options, pkg, '');
  // The main addon's own capabilities: the GPU checks need not load the OpenVINO module.
  const caps = native().capabilities();
  const gpu = caps.cuda?.devices.find((d) => d.index === options.device);
  const runtime =
    caps.tensorrt && gpu ? { tensorrtVersion: caps.tensorrt.version, computeCapability: gpu.computeCapability } : undefined;
  const dir = engineFolder(options.engines, pkg.manifest.name, runtime);
  let metadata: EngineMetadata | undefined;
  let engineProblem: Sam3ClipError | undefined;
  if (dir && existsSync(dir)) {
    try {
      metadata = await readEngineMetadata(dir, pkg.dir);
      checkEngineMetadata(metadata, dir, pkg, runtime);
    } catch (error) {
      if (!(error instanceof Sam3ClipError)) throw error;
      engineProblem = error;
      metadata = undefined;
    }
  }

  const concept = isConceptManifest(pkg.manifest);
  const missing = !caps.tensorrt
    ? 'this build of the native addon has no TensorRT support'
    : !hasTextPath(pkg.manifest)
      ? `${pkg.manifest.name} has only the interactive path (points and boxes), which runs on the CPU backends`
    : concept && !native().TensorRtConceptPipeline
      ? 'this build of the native addon has no TensorRT pipeline for the sam3-concept family'
    : !gpu
      ? `no CUDA device ${options.device} is visible`
      : !metadata
        ? `no engines for ${pkg.manifest.name} in ${dir} (build them with: ${buildEnginesCommand(pkg.dir)})`
        : undefined;

  if (options.backend === 'tensorrt') {
    if (engineProblem) throw engineProblem;
    if (missing)
      throw new Sam3ClipError(
        'E_BACKEND_UNAVAILABLE',
        `backend "tensorrt" is unavailable: ${missing}. ` +
          (caps.tensorrt ? '' : 'Rebuild with CUDA and TensorRT (TENSORRT_ROOT=… npm run build:native) on a GPU machine, or use backend "cpu".'),
        { field: 'backend' },
      );
  } else if (engineProblem || missing) {
    return cpuSelection(options, pkg, engineProblem ? engineProblem.message : missing!);
  }
  const meta = metadata!;
  return {
    name: 'tensorrt',
    reason: `${options.backend === 'auto' ? 'auto' : 'requested'}: TensorRT ${caps.tensorrt!.version} on ${gpu!.name}, ${meta.precision} engines in ${dir}`,
    engines: dir!,
    create: () => {
      const backendOptions = { engineDir: dir!, metadata: meta, device: options.device, featureBudgetBytes: options.gpuCacheMiB * 1024 * 1024 };
      // Each family's device backend runs its own pipeline (ModelFamily.segmentOnDevice).
      return concept ? new TensorRtConceptBackend(pkg, backendOptions) : new TensorRtBackend(pkg, backendOptions);
    },
  };
}
