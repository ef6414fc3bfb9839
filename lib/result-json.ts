import { encodeRle, type CocoRle } from './ops.js';
import { maskToPng } from './render.js';
import type { SegmentInstance, SegmentResult } from './segmenter.js';

/** An instance as JSON: its mask as COCO RLE. */
export interface SegmentInstanceJson extends Omit<SegmentInstance, 'mask'> {
  rle: CocoRle;
}

/** A result as JSON: the masks as COCO RLE, and the union as a base64 PNG when asked for. */
export interface SegmentResultJson extends Omit<SegmentResult, 'mask' | 'instances' | 'candidates'> {
  rle: CocoRle;
  png?: string;
  instances: SegmentInstanceJson[];
  /** Each candidate's predicted IoU and, where its mask was made (allCandidates), that mask as COCO RLE. */
  candidates?: { iou: number; rle?: CocoRle }[];
}

/** The one JSON shape of a result, shared by the CLI's --json and the HTTP API. */
export async function resultToJson(r: SegmentResult, options: { png?: boolean } = {}): Promise<SegmentResultJson> {
  const { mask, instances, candidates, ...rest } = r;
  const rle = await encodeRle(mask);
  return {
    ...rest,
    ...(candidates
      ? { candidates: await Promise.all(candidates.map(async (c) => ({ iou: c.iou, ...(c.mask ? { rle: await encodeRle(c.mask) } : {}) }))) }
      : {}),
    rle,
    ...(options.png ? { png: (await maskToPng(mask)).toString('base64') } : {}),
    instances: await Promise.all(
      instances.map(async ({ mask: m, ...fields }) => ({ ...fields, rle: m === mask ? rle : await encodeRle(m) })),
    ),
  };
}
