// Configures and builds build-cuda/ (plain CMake, no addon): the CUDA kernels, the native tests
// and the kernel benchmark. Shared by test:cuda, test:gpu and bench:kernels.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNvcc } from './cuda-toolchain.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cudaBuildDir = path.join(root, 'build-cuda');

export function step(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/**
 * 'native' (the GPUs of this machine) when nvidia-smi lists one, else `fallback`: CMake refuses
 * CMAKE_CUDA_ARCHITECTURES=native when it sees no GPU, and the tools should then still build and
 * say plainly that there is no device.
 */
export function localArchitectures(fallback) {
  const r = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
  return r.status === 0 && /GPU \d+:/.test(r.stdout ?? '') ? 'native' : fallback;
}

/** Builds build-cuda/ for `architectures` (CMAKE_CUDA_ARCHITECTURES syntax); undefined when no nvcc can be had. */
export function buildCudaTree(architectures) {
  const toolchain = ensureNvcc();
  if (!toolchain.nvcc) return { reason: toolchain.reason };
  step('cmake', [
    '-S', root, '-B', cudaBuildDir, '--log-level=WARNING', '-DCMAKE_BUILD_TYPE=Release', '-DSAM3CLIP_WITH_CUDA=ON',
    `-DCMAKE_CUDA_COMPILER=${toolchain.nvcc}`, `-DSAM3CLIP_CUDA_ARCHITECTURES=${architectures}`,
  ]);
  step('cmake', ['--build', cudaBuildDir, '--parallel', '2']);
  return { nvcc: toolchain.nvcc, tools: path.join(cudaBuildDir, 'Release') };
}
