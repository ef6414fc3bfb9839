import { describe, expect, it } from 'vitest';
import { createSegmenter } from '../dist/index.js';
import { blocksImage, png } from './support/images.js';
import { makePackage } from './support/packages.js';
import { BEHAVIOUR_BACKENDS } from './support/backends.js';

describe.each(BEHAVIOUR_BACKENDS)('inference runs off the JS thread: $label', ({ options }) => {
  it('a timer keeps firing while a slow segment() runs', async () => {
    const models = await makePackage('stretch', { slowdown: 24, name: 'tiny-slow' });
    const segmenter = await createSegmenter({ models, ...options, threads: 1 });
    try {
      const image = await png(blocksImage(64, 64, [10, 20, 30], []), 64, 64);
      let ticks = 0;
      let longestGap = 0;
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        longestGap = Math.max(longestGap, now - last);
        last = now;
        ticks++;
      }, 10);
      const start = performance.now();
      await segmenter.segment(image, 'anything');
      const elapsed = performance.now() - start;
      clearInterval(timer);
      const encoderMs = segmenter.stats().runs.image_encoder.ms;
      // The slow encoder must really be slow, or this test proves nothing.
      expect(encoderMs).toBeGreaterThan(300);
      expect(ticks).toBeGreaterThan((elapsed / 10) * 0.5);
      expect(longestGap).toBeLessThan(encoderMs / 2);
    } finally {
      await segmenter.dispose();
    }
  });
});
