#!/usr/bin/env node
// `npm run bench:kernels`: builds the kernels for this GPU and times them (native/bench/kernel_bench.cpp).
import path from 'node:path';
import { buildCudaTree, localArchitectures, step } from './cuda-build.mjs';

const built = buildCudaTree(process.env.SAM3CLIP_CUDA_ARCHITECTURES ?? localArchitectures('90'));
if (!built.tools) {
  console.log(`bench:kernels needs a CUDA compiler: ${built.reason}`);
  process.exit(0);
}
step(path.join(built.tools, 'sam3clip_kernel_bench'), []);
