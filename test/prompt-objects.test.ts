/**
 * Prompts as objects ({ text?, points?, labels?, box? }) are checked before any model runs: every
 * malformed one is E_INVALID_PROMPT naming its field. A package without the interactive path says
 * what it answers instead; the CLI's --point/--box flags become the same objects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSegmenter, type Segmenter } from '../dist/index.js';
import { resolvePromptInputs } from '../dist/prompts.js';
import { clickPrompts } from '../dist/cli/click-flags.js';
import { blocksImage, png } from './support/images.js';
import { makePackage } from './support/packages.js';

describe('prompt objects', () => {
  it('normalizes strings and objects: labels default to 1, a lone box is positive', () => {
    expect(resolvePromptInputs('a cat')).toEqual([{ text: 'a cat', points: [], labels: [], boxLabel: 1 }]);
    expect(resolvePromptInputs({ points: [[3, 4]] })).toEqual([{ points: [[3, 4]], labels: [1], boxLabel: 1 }]);
    expect(resolvePromptInputs([{ box: [1, 2, 30, 40], labels: [0], text: 'dog' }, 'x'])).toEqual([
      { text: 'dog', points: [], labels: [], box: [1, 2, 30, 40], boxLabel: 0 },
      { text: 'x', points: [], labels: [], boxLabel: 1 },
    ]);
    expect(resolvePromptInputs({ points: [[1, 1], [5, 5]], labels: [1, 0], box: [0, 0, 9, 9] })[0]).toMatchObject({ labels: [1, 0], box: [0, 0, 9, 9] });
  });

  const bad: [string, unknown, string][] = [
    ['an unknown field', { point: [[1, 2]] }, 'prompt.point'],
    ['nothing to segment', {}, 'prompt'],
    ['an empty points list', { points: [] }, 'prompt.points'],
    ['a point that is not a pair', { points: [[1, 2, 3]] }, 'prompt.points[0]'],
    ['a non-finite coordinate', { points: [[Number.NaN, 2]] }, 'prompt.points[0]'],
    ['fewer labels than points', { points: [[1, 2], [3, 4]], labels: [1] }, 'prompt.labels'],
    ['a label other than 0 and 1', { points: [[1, 2]], labels: [2] }, 'prompt.labels'],
    ['only negative points', { points: [[1, 2]], labels: [0] }, 'prompt.labels'],
    ['labels without points or box', { text: 'x', labels: [1] }, 'prompt.labels'],
    ['an empty box', { box: [10, 10, 10, 20] }, 'prompt.box'],
    ['a reversed box', { box: [10, 10, 5, 20] }, 'prompt.box'],
    ['a box of three numbers', { box: [1, 2, 3] }, 'prompt.box'],
    ['a blank text', { text: '  ', points: [[1, 1]] }, 'prompt.text'],
    ['too many points', { points: Array.from({ length: 65 }, () => [1, 1]) }, 'prompt.points'],
  ];
  for (const [what, prompt, field] of bad)
    it(`refuses ${what} with E_INVALID_PROMPT (${field})`, () => {
      expect(() => resolvePromptInputs(prompt)).toThrow(expect.objectContaining({ code: 'E_INVALID_PROMPT', field }));
    });

  it('names the prompt by its index in a list', () => {
    expect(() => resolvePromptInputs(['ok', { points: [[1]] }])).toThrow(expect.objectContaining({ field: 'prompt[1].points[0]' }));
  });

  it('turns the CLI flags into one prompt, joined to a lone text prompt', () => {
    expect(clickPrompts(['a cat'], undefined, undefined)).toEqual(['a cat']);
    expect(clickPrompts([], ['320,200', '10,20,0'], undefined)).toEqual([{ points: [[320, 200], [10, 20]], labels: [1, 0] }]);
    expect(clickPrompts(['wheel'], ['5,6'], '1,2,30,40')).toEqual([{ text: 'wheel', points: [[5, 6]], labels: [1], box: [1, 2, 30, 40] }]);
    expect(() => clickPrompts(['a', 'b'], ['1,1'], undefined)).toThrow(/at most one text prompt/);
    expect(() => clickPrompts([], ['1'], undefined)).toThrow(/--point must be/);
    expect(() => clickPrompts([], ['1,2,5'], undefined)).toThrow(/label must be 1/);
    expect(() => clickPrompts([], undefined, '1,2,3')).toThrow(/--box must be/);
  });
});

describe('a package with the text path only', () => {
  let segmenter: Segmenter;
  let image: Buffer;
  beforeAll(async () => {
    segmenter = await createSegmenter({ models: await makePackage('stretch'), backend: 'cpu', threads: 1 });
    image = await png(blocksImage(32, 32, [32, 32, 32], [{ x: 4, y: 4, w: 12, h: 12, rgb: [224, 96, 32] }]), 32, 32);
  });
  afterAll(() => segmenter?.dispose());

  it('says it answers text when given points or a box, before any encoder run', async () => {
    expect(segmenter.promptPaths).toEqual(['text']);
    const before = segmenter.stats().runs.image_encoder.runs;
    for (const prompt of [{ points: [[3, 3]] as [number, number][] }, { box: [1, 1, 9, 9] as [number, number, number, number] }, ['red', { text: 'red', points: [[3, 3]] as [number, number][] }]])
      await expect(segmenter.segment(image, prompt)).rejects.toMatchObject({ code: 'E_INVALID_PROMPT', message: expect.stringMatching(/answers text/) });
    expect(segmenter.stats().runs.image_encoder.runs).toBe(before);
  });

  it('still takes a text prompt written as an object', async () => {
    const [asObject] = await segmenter.segment(image, { text: 'red box' }, { smoothness: 1 });
    const [asString] = await segmenter.segment(image, 'red box', { smoothness: 1 });
    expect(asObject!.prompt).toBe('red box');
    expect(Buffer.from(asObject!.mask.data).equals(Buffer.from(asString!.mask.data))).toBe(true);
    expect(asObject!.candidates!.map((c) => c.iou)).toEqual(asString!.candidates!.map((c) => c.iou));
  });
});
