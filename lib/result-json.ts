import { encodeRle, type CocoRle } from './ops.js';
import { maskToPng } from './render.js';
import type { SegmentResult } from './segmenter.js';

/** A result as JSON: the mask as COCO RLE, and as a base64 PNG when asked for. */
export interface SegmentResultJson extends Omit<SegmentResult, 'mask'> {
  rle: CocoRle;
  png?: string;
}

/** The one JSON shape of a result, shared by the CLI's --json and the HTTP API. */
export async function resultToJson(r: SegmentResult, options: { png?: boolean } = {}): Promise<SegmentResultJson> {
  const { mask, ...rest } = r;
  return {
    ...rest,
    rle: await encodeRle(mask),
    ...(options.png ? { png: (await maskToPng(mask)).toString('base64') } : {}),
  };
}
