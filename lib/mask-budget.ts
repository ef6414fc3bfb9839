import { Sam3ClipError } from './errors.js';

/**
 * Masks post-processed at once on the host path. Each holds two full-size working masks (the
 * upsampled one and its smoothed copy), so this bounds a call's memory beyond its results; two
 * keep both cores of a small machine busy.
 */
export const POSTPROCESS_CONCURRENCY = 2;

/**
 * Bytes of full-size masks one call holds: one per pixel for each prompt's result; on the host path
 * one for all negatives together and the working masks, on the device path one per negative.
 */
export function maskBytes(pixels: number, positives: number, negatives: number, kind: 'host' | 'device'): number {
  const masks = kind === 'device' ? positives + negatives : positives + Math.min(negatives, 1) + 2 * POSTPROCESS_CONCURRENCY;
  return masks * pixels;
}

/** Refuses a call whose masks would not fit maskBudgetMiB, before anything is decoded. */
export function checkMaskBudget(
  width: number,
  height: number,
  positives: number,
  negatives: number,
  kind: 'host' | 'device',
  budgetMiB: number,
): void {
  const bytes = maskBytes(width * height, positives, negatives, kind);
  if (bytes <= budgetMiB * 2 ** 20) return;
  const what = `${positives} prompt${positives === 1 ? '' : 's'}${negatives ? ` and ${negatives} negative${negatives === 1 ? '' : 's'}` : ''}`;
  throw new Sam3ClipError(
    'E_REQUEST_TOO_LARGE',
    `${what} on a ${width}×${height} image need ${Math.ceil(bytes / 2 ** 20)} MiB of masks; the limit is ${budgetMiB} MiB ` +
      '(option maskBudgetMiB): send fewer prompts or a smaller image',
    { field: 'maskBudgetMiB' },
  );
}

/**
 * sam3-concept: the instance count is known only after the detector ran. Every kept instance of
 * every prompt (negatives included) is one full-size mask, each positive prompt adds its union, and
 * smoothing holds working copies; refused before any of them is made.
 */
export function checkInstanceBudget(width: number, height: number, instances: number, positives: number, budgetMiB: number): void {
  if (instances <= instanceMaskCapacity(width, height, positives, budgetMiB)) return;
  const bytes = (instances + positives + 2 * POSTPROCESS_CONCURRENCY) * width * height;
  throw new Sam3ClipError(
    'E_REQUEST_TOO_LARGE',
    `${instances} instance${instances === 1 ? '' : 's'} found on a ${width}×${height} image need ${Math.ceil(bytes / 2 ** 20)} MiB of masks; ` +
      `the limit is ${budgetMiB} MiB (option maskBudgetMiB): raise the threshold, lower maxInstances, or send a smaller image`,
    { field: 'maskBudgetMiB' },
  );
}

/**
 * How many instance masks checkInstanceBudget lets a call make besides its unions and working masks
 * (negative when even those do not fit).
 */
export function instanceMaskCapacity(width: number, height: number, positives: number, budgetMiB: number): number {
  return Math.floor((budgetMiB * 2 ** 20) / (width * height)) - positives - 2 * POSTPROCESS_CONCURRENCY;
}
