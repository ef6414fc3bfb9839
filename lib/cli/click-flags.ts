/**
 * The segment command's clicks: `--point x,y[,label]` (repeatable; label 1 on the object, the
 * default, or 0 off it) and `--box x0,y0,x1,y1`, in original-image pixels. They make one prompt;
 * beside one text prompt they join it ({ text, points, box }).
 */
import type { Prompt, PromptObject } from '../prompts.js';
import { UsageError } from './run-cli.js';

function numbers(value: string, flag: string, counts: number[], shape: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (!counts.includes(parts.length) || parts.some((s) => s === '') || !nums.every(Number.isFinite))
    throw new UsageError(`--${flag} must be ${shape}, got "${value}"`);
  return nums;
}

/** The prompts of one segment command: its text prompts, with the clicks as one more prompt (or joined to the one text). */
export function clickPrompts(texts: string[], pointFlags: string[] | undefined, boxFlag: string | undefined): Prompt[] {
  const points: [number, number][] = [];
  const labels: (0 | 1)[] = [];
  for (const value of pointFlags ?? []) {
    const [x, y, label = 1] = numbers(value, 'point', [2, 3], 'x,y or x,y,label (label 1 or 0)');
    if (label !== 0 && label !== 1) throw new UsageError(`--point ${value}: the label must be 1 (on the object) or 0 (off it)`);
    points.push([x!, y!]);
    labels.push(label);
  }
  const box = boxFlag === undefined ? undefined : numbers(boxFlag, 'box', [4], 'x0,y0,x1,y1');
  if (points.length === 0 && !box) return texts;
  if (texts.length > 1)
    throw new UsageError('--point and --box make one prompt: give at most one text prompt with them (it is segmented together with the clicks)');
  const clicks: PromptObject = {
    ...(texts[0] !== undefined ? { text: texts[0] } : {}),
    ...(points.length ? { points, labels } : {}),
    ...(box ? { box: box as [number, number, number, number] } : {}),
  };
  return [clicks];
}
