/**
 * The backends `bench:compare` sets side by side, and how each one's process is started: the
 * library on ONNX Runtime and on OpenVINO (BF16, FP32) through node-backend-worker.mjs, and the
 * PyTorch reference (FP32, BF16 autocast) through torch_reference.py, all at the same thread count.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BackendProcess } from './protocol.js';

export const BACKEND_IDS = ['ort', 'openvino-bf16', 'openvino-fp32', 'torch-fp32', 'torch-bf16'] as const;
export type BackendId = (typeof BACKEND_IDS)[number];
/** Every ratio is against this one. */
export const BASELINE: BackendId = 'torch-bf16';

export const LABELS: Record<BackendId, string> = {
  ort: 'ONNX Runtime',
  'openvino-bf16': 'OpenVINO BF16',
  'openvino-fp32': 'OpenVINO FP32',
  'torch-fp32': 'PyTorch FP32',
  'torch-bf16': 'PyTorch BF16',
};

export interface LaunchOptions {
  root: string;
  models: string;
  threads: number;
  /** The Python with torch and transformers (the export's .venv). */
  python: string;
  /** Passed to the PyTorch reference: where a package's weights come from when export-info.json does not say. */
  checkpoints: { samCheckpoint?: string; clipCheckpoint?: string; projection?: string };
}

/** The Python the reference runs on: --python, $SAM3CLIP_PYTHON, else the export's .venv. */
export function defaultPython(root: string): string {
  return process.env.SAM3CLIP_PYTHON || path.join(root, '.venv', 'bin', 'python');
}

/** Starts one backend's process; `unavailable` says why it cannot start at all. */
export function launch(id: BackendId, o: LaunchOptions): BackendProcess | { unavailable: string } {
  const threads = String(o.threads);
  if (id === 'torch-fp32' || id === 'torch-bf16') {
    if (!existsSync(o.python))
      return { unavailable: `no Python at ${o.python} (python3 -m venv .venv && .venv/bin/pip install -r scripts/export/requirements.txt, or --python)` };
    const c = o.checkpoints;
    const args = [path.join(o.root, 'scripts', 'bench', 'torch_reference.py'), '--models', o.models, '--threads', threads];
    args.push('--precision', id === 'torch-bf16' ? 'bf16' : 'fp32');
    if (c.samCheckpoint) args.push('--sam-checkpoint', c.samCheckpoint);
    if (c.clipCheckpoint) args.push('--clip-checkpoint', c.clipCheckpoint);
    if (c.projection) args.push('--projection', c.projection);
    // One OpenMP team per call: the intra-op pool is set by torch.set_num_threads in the script.
    return new BackendProcess(id, o.python, args, { cwd: o.root, env: { ...process.env, OMP_NUM_THREADS: threads } });
  }
  const worker = path.join(o.root, 'scripts', 'bench', 'compare', 'node-backend-worker.mjs');
  const args = [worker, '--models', o.models, '--threads', threads];
  if (id === 'ort') args.push('--backend', 'cpu');
  else args.push('--backend', 'openvino', '--precision', id === 'openvino-bf16' ? 'bf16' : 'fp32');
  return new BackendProcess(id, process.execPath, args, { cwd: o.root });
}
