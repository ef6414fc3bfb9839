import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedFile } from './support/packages.js';
import { morphology, type Mask, type MorphologyOp } from '../dist/ops.js';

const { file: CASES, present: haveShared } = sharedFile('morphology/opencv-cases.json', 'the OpenCV reference cases');

interface MorphologyCase {
  name: string;
  width: number;
  height: number;
  op: MorphologyOp;
  k: number;
  input: string;
  expected: string;
}

const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

describe('morphology', () => {
  it.skipIf(!haveShared)('matches OpenCV 4.6 morphologyEx bit for bit on every shared case (needs ../shared)', async () => {
    const file = JSON.parse(readFileSync(CASES, 'utf8')) as { layout: string; cases: MorphologyCase[] };
    expect(file.layout).toMatch(/row-major, one byte per pixel/);
    expect(file.cases.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const c of file.cases) {
      const mask: Mask = { width: c.width, height: c.height, data: bytes(c.input) };
      const expected = bytes(c.expected);
      const got = await morphology(mask, { op: c.op, k: c.k });
      expect(got.width).toBe(c.width);
      expect(got.height).toBe(c.height);
      let diff = 0;
      for (let i = 0; i < expected.length; i++) if (got.data[i] !== expected[i]) diff++;
      if (diff > 0 || got.data.length !== expected.length) failures.push(`${c.name}: ${diff} pixels differ`);
    }
    expect(failures).toEqual([]);
  });

  it('close fills a one-pixel hole and leaves the input untouched', async () => {
    const data = new Uint8Array(25).fill(1);
    data[12] = 0;
    const input = { width: 5, height: 5, data };
    const out = await morphology(input, { op: 'close', k: 3 });
    expect(Array.from(out.data)).toEqual(new Array(25).fill(1));
    expect(data[12]).toBe(0);
  });

  it('k = 1 is the identity', async () => {
    const data = Uint8Array.from([0, 1, 1, 0, 1, 0]);
    for (const op of ['dilate', 'erode', 'open', 'close'] as const)
      expect(Array.from((await morphology({ width: 3, height: 2, data }, { op, k: 1 })).data)).toEqual(Array.from(data));
  });

  it.each([
    ['k = 0', { width: 2, height: 2, data: new Uint8Array(4) }, { op: 'close', k: 0 }, 'k'],
    ['k = 256', { width: 2, height: 2, data: new Uint8Array(4) }, { op: 'close', k: 256 }, 'k'],
    ['k = 2.5', { width: 2, height: 2, data: new Uint8Array(4) }, { op: 'close', k: 2.5 }, 'k'],
    ['an unknown op', { width: 2, height: 2, data: new Uint8Array(4) }, { op: 'gradient', k: 3 }, 'op'],
    ['a short buffer', { width: 3, height: 2, data: new Uint8Array(5) }, { op: 'close', k: 3 }, 'mask.data'],
    ['a NaN width', { width: NaN, height: 2, data: new Uint8Array(4) }, { op: 'close', k: 3 }, 'mask.width'],
    ['a zero height', { width: 2, height: 0, data: new Uint8Array(0) }, { op: 'close', k: 3 }, 'mask.height'],
    ['a plain array', { width: 2, height: 2, data: [0, 1, 1, 0] }, { op: 'close', k: 3 }, 'mask.data'],
    ['a Float32Array', { width: 2, height: 2, data: new Float32Array(4) }, { op: 'close', k: 3 }, 'mask.data'],
    ['a huge mask', { width: 65536, height: 65536, data: new Uint8Array(1) }, { op: 'close', k: 3 }, 'mask'],
  ])('rejects %s with E_INVALID_OPTION', async (_name, mask, options, field) => {
    await expect(morphology(mask as unknown as Mask, options as never)).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field });
  });
});
