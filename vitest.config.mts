import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/gpu needs a CUDA + TensorRT build: `npm run test:gpu` runs it (vitest run test/gpu --config …).
    exclude: process.env.SAM3CLIP_GPU_TESTS ? [] : ['test/gpu/**'],
    // Model loading and the slow-encoder test take seconds on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Each test file loads ONNX Runtime sessions with their own threads; two at a time suits 2 cores.
    maxWorkers: 2,
  },
});
