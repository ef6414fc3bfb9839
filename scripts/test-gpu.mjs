#!/usr/bin/env node
// `npm run test:gpu`: the one command to run on a GPU machine.
//   1. the CUDA kernels against their CPU twins and the shared cases (native tests, --require-gpu),
//      built for this GPU (CMAKE_CUDA_ARCHITECTURES=native);
//   2. the addon rebuilt with CUDA and, when TENSORRT_ROOT is set, TensorRT;
//   3. the TensorRT backend end to end (vitest, test/gpu).
import path from 'node:path';
import { buildCudaTree, localArchitectures, root, step } from './cuda-build.mjs';

const architectures = localArchitectures('90');
const built = buildCudaTree(architectures);
if (!built.tools) {
  console.error(`test:gpu: no CUDA compiler: ${built.reason}`);
  process.exit(1);
}
step(path.join(built.tools, 'sam3clip_native_tests'), ['--require-gpu']);

const cmakeArgs = ['--CDSAM3CLIP_WITH_CUDA=ON', `--CDCMAKE_CUDA_COMPILER=${built.nvcc}`, `--CDSAM3CLIP_CUDA_ARCHITECTURES=${architectures}`];
if (process.env.TENSORRT_ROOT) cmakeArgs.push('--CDSAM3CLIP_WITH_TENSORRT=ON', `--CDTENSORRT_ROOT=${process.env.TENSORRT_ROOT}`);
else console.warn('test:gpu: TENSORRT_ROOT is not set: the addon is built without TensorRT and test/gpu will skip');
step(process.execPath, [path.join(root, 'scripts', 'build-native.mjs'), 'rebuild', ...cmakeArgs]);
step('npm', ['run', 'build:ts']);
process.env.SAM3CLIP_GPU_TESTS = '1';
step('npx', ['vitest', 'run', 'test/gpu']);
