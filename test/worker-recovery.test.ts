import { describe, expect, it } from 'vitest';
import { createSegmenter } from '../dist/index.js';
import { blocksImage, png } from './support/images.js';
import { makePackage } from './support/packages.js';

/** The inference worker of a segmenter (internal: reached only to simulate a crash while idle). */
function killWorker(segmenter: object): Promise<number> {
  return (segmenter as any).backend.pool.workers[0].worker.terminate();
}

const image = () => png(blocksImage(64, 64, [200, 40, 40], [{ x: 8, y: 8, w: 20, h: 20, rgb: [30, 30, 200] }]), 64, 64);

describe('inference worker lifecycle', () => {
  it('replaces a worker that died and reloads the graphs: the segmenter stays usable', async () => {
    // ONNX Runtime's worker threads (the OpenVINO backend runs in-process).
    const segmenter = await createSegmenter({ models: await makePackage('stretch'), backend: 'cpu', threads: 1 });
    try {
      const before = await segmenter.segment(await image(), 'red', { smoothness: 1 });
      await killWorker(segmenter);
      const after = await segmenter.segment(Buffer.from(await image()), 'blue and red', { smoothness: 1 });
      const same = await segmenter.segment(await image(), 'red', { smoothness: 1 });
      expect(after[0]!.mask.width).toBe(64);
      expect(Buffer.from(same[0]!.mask.data)).toEqual(Buffer.from(before[0]!.mask.data));
    } finally {
      await segmenter.dispose();
    }
  });

  it('dispose() during a slow run lets the run finish instead of tearing the worker down under it', async () => {
    const segmenter = await createSegmenter({ models: await makePackage('stretch', { slowdown: 24, name: 'tiny-slow' }), threads: 1 });
    const inFlight = segmenter.segment(await image(), 'red').then(
      (r) => ({ ok: true as const, r }),
      (e: { code?: string }) => ({ ok: false as const, code: e.code }),
    );
    await new Promise((r) => setTimeout(r, 200));
    await segmenter.dispose();
    const outcome = await inFlight;
    // Either it completed, or it stopped between stages with a coded error; the process is alive to see it.
    if (!outcome.ok) expect(['E_DISPOSED']).toContain(outcome.code);
    await expect(segmenter.segment(await image(), 'x')).rejects.toMatchObject({ code: 'E_DISPOSED' });
  });
});
