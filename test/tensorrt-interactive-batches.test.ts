// How the TensorRT backends split an interactive run whose prompt batch exceeds the engines'
// profile, and join the parts: runs without a GPU (the split is plain TypeScript).
import { describe, expect, it } from 'vitest';
import { runInBatches } from '../dist/backends/tensorrt/interactive-batches.js';

type Feeds = Parameters<typeof runInBatches>[0];

/** A stand-in graph: sparse_embeddings[b, t, 0] = point x + 1000 · label, so each row says where it came from. */
function fakeRun(calls: number[]) {
  return async (part: Feeds) => {
    const points = part.input_points!;
    const labels = part.input_labels!.data as BigInt64Array;
    const [B, n] = points.dims as [number, number];
    calls.push(B);
    const data = new Float32Array(B * n);
    for (let i = 0; i < B * n; i++) data[i] = (points.data as Float32Array)[i * 2]! + 1000 * Number(labels[i]!);
    return { sparse_embeddings: { dims: [B, n, 1], data } };
  };
}

function feeds(B: number, n: number): Feeds {
  const points = new Float32Array(B * n * 2);
  const labels = new BigInt64Array(B * n);
  for (let i = 0; i < B * n; i++) {
    points[i * 2] = i;
    labels[i] = BigInt(i % 2);
  }
  return { input_points: { type: 'float32', dims: [B, n, 2], data: points }, input_labels: { type: 'int64', dims: [B, n], data: labels } };
}

describe('runInBatches', () => {
  it('runs a batch that fits as one run', async () => {
    const calls: number[] = [];
    const out = await runInBatches(feeds(3, 2), 8, fakeRun(calls));
    expect(calls).toEqual([3]);
    expect(out.sparse_embeddings!.dims).toEqual([3, 2, 1]);
  });

  it('splits a larger batch into parts of at most maxBatch and joins them in order', async () => {
    const calls: number[] = [];
    const out = await runInBatches(feeds(11, 3), 4, fakeRun(calls));
    expect(calls).toEqual([4, 4, 3]);
    expect(out.sparse_embeddings!.dims).toEqual([11, 3, 1]);
    expect(Array.from(out.sparse_embeddings!.data)).toEqual(Array.from({ length: 33 }, (_, i) => i + 1000 * (i % 2)));
  });

  it('passes feeds that disagree on the batch through unchanged, for the pipeline to refuse', async () => {
    const calls: number[] = [];
    const bad = feeds(6, 2);
    bad.input_labels = { type: 'int64', dims: [5, 2], data: new BigInt64Array(10) };
    await runInBatches(bad, 4, async (part) => {
      expect(part).toBe(bad);
      calls.push(0);
      return {};
    });
    expect(calls).toEqual([0]);
  });
});
