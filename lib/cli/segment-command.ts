import path from 'node:path';
import { createSegmenter } from '../segmenter.js';
import { maskToPng, renderOverlay } from '../render.js';
import { resultToJson } from '../result-json.js';
import type { BackendChoice } from '../options.js';
import { numberFlag, UsageError, type CliIo, type ParsedArgs } from './run-cli.js';

/** mask.png for one prompt; mask-1.png, mask-2.png … for several. */
export function maskFileName(out: string, index: number, count: number): string {
  if (count === 1) return out;
  const ext = path.extname(out);
  return `${out.slice(0, out.length - ext.length)}-${index + 1}${ext || '.png'}`;
}

export async function segmentCommand(positionals: string[], flags: ParsedArgs['values'], io: CliIo): Promise<void> {
  const [image, ...prompts] = positionals;
  if (!image || prompts.length === 0) throw new UsageError('segment needs an image and at least one prompt');
  const threads = numberFlag(flags.threads, 'threads');
  const segmenter = await createSegmenter({
    ...(flags.models ? { models: flags.models } : {}),
    ...(flags.backend ? { backend: flags.backend as BackendChoice } : {}),
    ...(flags.engines ? { engines: flags.engines } : {}),
    ...(threads !== undefined ? { threads } : {}),
  });
  try {
    const threshold = numberFlag(flags.threshold, 'threshold');
    const smoothness = numberFlag(flags.smoothness, 'smoothness');
    const results = await segmenter.segment(image, prompts, {
      ...(threshold !== undefined ? { threshold } : {}),
      ...(smoothness !== undefined ? { smoothness } : {}),
      ...(flags.negative ? { negative: flags.negative } : {}),
    });
    const written: string[] = [];
    if (flags.out) {
      for (const [i, r] of results.entries()) {
        const file = maskFileName(flags.out, i, results.length);
        await io.writeFile(file, await maskToPng(r.mask));
        written.push(file);
      }
    }
    if (flags.overlay) {
      const format = /\.jpe?g$/i.test(flags.overlay) ? 'jpeg' : 'png';
      await io.writeFile(flags.overlay, await renderOverlay(image, results, { format }));
      written.push(flags.overlay);
    }
    if (flags.json) {
      const json = await Promise.all(results.map((r) => resultToJson(r)));
      io.out(`${JSON.stringify({ backend: segmenter.backendInfo, results: json, files: written })}\n`);
    } else {
      for (const r of results) {
        const found = r.passedThreshold ? 'found' : 'below threshold';
        io.out(`${r.prompt}: ${found}, score ${r.score.toFixed(3)}, area ${r.area} px, bbox [${r.bbox.join(', ')}]\n`);
      }
      for (const file of written) io.out(`wrote ${file}\n`);
    }
  } finally {
    await segmenter.dispose();
  }
}
