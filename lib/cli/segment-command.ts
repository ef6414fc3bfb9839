import path from 'node:path';
import { Sam3ClipError } from '../errors.js';
import { createSegmenter } from '../segmenter.js';
import { maskToPng, renderOverlay, type OverlayFormat } from '../render.js';
import { resultToJson } from '../result-json.js';
import type { BackendChoice, InferencePrecision } from '../options.js';
import { checkOutputFolder, outputFolder, writeOutput } from './output-file.js';
import { clickPrompts } from './click-flags.js';
import { numberFlag, UsageError, type CliIo, type ParsedArgs } from './run-cli.js';

/** mask.png for one prompt; mask-1.png, mask-2.png … for several. */
export function maskFileName(out: string, index: number, count: number): string {
  if (count === 1) return out;
  const ext = path.extname(out);
  return `${out.slice(0, out.length - ext.length)}-${index + 1}${ext || '.png'}`;
}

const OVERLAY_FORMATS: Record<string, OverlayFormat> = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' };

/** The overlay's encoding from its file name; anything else is refused before the model runs. */
export function overlayFormat(file: string): OverlayFormat {
  const format = OVERLAY_FORMATS[path.extname(file).toLowerCase()];
  if (!format)
    throw new Sam3ClipError(
      'E_INVALID_OPTION',
      `--overlay ${file}: the overlay is written as PNG, JPEG or WebP; name it .png, .jpg, .jpeg or .webp`,
      { field: 'overlay', file },
    );
  return format;
}

/** DIR/<prompt number>-<prompt as a file name>-<instance number>.png, best instance first. */
export function instanceFileName(dir: string, prompt: string, promptIndex: number, instanceIndex: number): string {
  const slug = prompt.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48) || 'prompt';
  return path.join(dir, `${promptIndex + 1}-${slug}-${instanceIndex + 1}.png`);
}

/** Masks are written as 1-bit-per-pixel PNGs only (lossless), so --out must say .png. */
function checkMaskFileName(file: string): void {
  if (path.extname(file).toLowerCase() !== '.png')
    throw new Sam3ClipError('E_INVALID_OPTION', `--out ${file}: masks are written as PNG; name the file .png`, {
      field: 'out',
      file,
    });
}

export async function segmentCommand(positionals: string[], flags: ParsedArgs['values'], io: CliIo): Promise<void> {
  const [image, ...texts] = positionals;
  if (!image || (texts.length === 0 && !flags.point && !flags.box))
    throw new UsageError('segment needs an image and at least one prompt (text, --point or --box)');
  const prompts = clickPrompts(texts, flags.point, flags.box);
  const threads = numberFlag(flags.threads, 'threads');
  const threshold = numberFlag(flags.threshold, 'threshold');
  const smoothness = numberFlag(flags.smoothness, 'smoothness');
  const maskBudgetMiB = numberFlag(flags['mask-budget-mib'], 'mask-budget-mib');
  const maxInstances = numberFlag(flags['max-instances'], 'max-instances');
  // Output names and folders are checked before the models load: a typo should not cost an encoder run.
  const outputs: string[] = [];
  if (flags.out) {
    checkMaskFileName(flags.out);
    outputs.push(flags.out);
  }
  const format = flags.overlay ? overlayFormat(flags.overlay) : undefined;
  if (flags.overlay) outputs.push(flags.overlay);
  await Promise.all(outputs.map(checkOutputFolder));
  if (flags.instances) await outputFolder(flags.instances);

  const segmenter = await createSegmenter({
    ...(flags.models ? { models: flags.models } : {}),
    ...(flags.backend ? { backend: flags.backend as BackendChoice } : {}),
    ...(flags.precision ? { inferencePrecision: flags.precision as InferencePrecision } : {}),
    ...(flags.engines ? { engines: flags.engines } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...(maskBudgetMiB !== undefined ? { maskBudgetMiB } : {}),
  });
  try {
    const results = await segmenter.segment(image, prompts, {
      ...(threshold !== undefined ? { threshold } : {}),
      ...(smoothness !== undefined ? { smoothness } : {}),
      ...(maxInstances !== undefined ? { maxInstances } : {}),
      ...(flags.negative ? { negative: flags.negative } : {}),
      ...(flags['all-candidates'] ? { allCandidates: true } : {}),
    });
    const written: string[] = [];
    if (flags.out) {
      for (const [i, r] of results.entries()) {
        const file = maskFileName(flags.out, i, results.length);
        await writeOutput(io, file, await maskToPng(r.mask));
        written.push(file);
      }
    }
    if (flags.instances) {
      for (const [i, r] of results.entries())
        for (const [k, instance] of r.instances.entries()) {
          const file = instanceFileName(flags.instances, r.prompt, i, k);
          await writeOutput(io, file, await maskToPng(instance.mask));
          written.push(file);
        }
    }
    if (flags.overlay && format) {
      // Each instance in its own colour where a prompt found several.
      const drawn = results.flatMap((r) =>
        r.instances.length > 1 ? r.instances.map((inst) => ({ prompt: r.prompt, mask: inst.mask, score: inst.score, bbox: inst.bbox, area: inst.area })) : [r],
      );
      await writeOutput(io, flags.overlay, await renderOverlay(image, drawn, { format }));
      written.push(flags.overlay);
    }
    if (flags.json) {
      const json = await Promise.all(results.map((r) => resultToJson(r)));
      io.out(`${JSON.stringify({ backend: segmenter.backendInfo, results: json, files: written })}\n`);
    } else {
      for (const r of results) {
        const found = r.passedThreshold ? `found${r.instances.length > 1 ? ` ${r.instances.length} instances` : ''}` : 'below threshold';
        io.out(`${r.prompt}: ${found}, score ${r.score.toFixed(3)}, area ${r.area} px, bbox [${r.bbox.join(', ')}]\n`);
      }
      for (const file of written) io.out(`wrote ${file}\n`);
    }
  } finally {
    await segmenter.dispose();
  }
}
