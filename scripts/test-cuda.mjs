#!/usr/bin/env node
// `npm run test:cuda` (part of `npm test`): compiles every CUDA kernel with nvcc — the machine's,
// or the PyPI wheels scripts/cuda-toolchain.mjs installs — and runs the native tests of that
// build: the CPU tests run, the GPU tests SKIP without a device. CI has no GPU, so this is what
// keeps the kernels compiling. One architecture (sm_90) keeps it fast; test:gpu builds for the
// GPU at hand.
import path from 'node:path';
import { buildCudaTree, step } from './cuda-build.mjs';

const built = buildCudaTree('90');
if (!built.tools) {
  console.log(`test:cuda skipped: ${built.reason}`);
  process.exit(0);
}
step(path.join(built.tools, 'sam3clip_native_tests'), []);
