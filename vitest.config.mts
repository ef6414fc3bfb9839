import path from 'node:path';
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
    // Compiled OpenVINO graphs and verified hashes go to a git-ignored folder of the checkout, not the
    // user's ~/.cache; tests that check the cache itself give their own modelCache.
    env: { SAM3CLIP_CACHE_DIR: process.env.SAM3CLIP_CACHE_DIR ?? path.resolve(__dirname, 'test/artifacts/model-cache') },
    // Each test file loads ONNX Runtime sessions with their own threads; two at a time suits 2 cores.
    maxWorkers: 2,
  },
});
