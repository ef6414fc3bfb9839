import { Sam3ClipError } from '../errors.js';
import type { ModelPackage } from '../model/manifest.js';
import { capabilities } from '../native.js';
import type { ResolvedSegmenterOptions } from '../options.js';
import type { Backend } from './backend.js';
import { CpuBackend } from './cpu/cpu-backend.js';

export interface BackendSelection {
  name: 'cpu' | 'tensorrt';
  /** Why this backend: shown by `sam3clip info` and `segmenter.backendInfo`. */
  reason: string;
  create(): Backend;
}

/** Picks the backend: 'auto' takes TensorRT only where the addon has it and a GPU is present. */
export function selectBackend(options: ResolvedSegmenterOptions, pkg: ModelPackage): BackendSelection {
  const caps = capabilities();
  const cpu = (reason: string): BackendSelection => ({
    name: 'cpu',
    reason,
    create: () => new CpuBackend(pkg, { threads: options.threads, workers: options.workers }),
  });
  if (options.backend === 'cpu') return cpu('requested with backend: "cpu"');
  const missing = !caps.tensorrt
    ? 'this build of the native addon has no TensorRT support'
    : !caps.cuda || caps.cuda.devices.length === 0
      ? 'no CUDA device is visible'
      : 'the TensorRT runtime is not available yet in this version';
  if (options.backend === 'tensorrt')
    throw new Sam3ClipError(
      'E_BACKEND_UNAVAILABLE',
      `backend "tensorrt" is unavailable: ${missing}. Rebuild with CUDA and TensorRT (npm run build:native) on a GPU machine, or use backend "cpu".`,
      { field: 'backend' },
    );
  return cpu(`auto: ${missing}; using ONNX Runtime on the CPU`);
}
