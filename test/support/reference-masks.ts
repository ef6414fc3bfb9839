/**
 * Plain float64 reimplementations of the mask post-processing, written from the definitions
 * (PyTorch bilinear with align_corners=False; OpenCV morphology with an all-ones kernel, anchor k/2,
 * border ignored), for end-to-end expectations that do not go through the code under test.
 */
export interface RefMask {
  width: number;
  height: number;
  data: Uint8Array;
}

/** F.interpolate(mode='bilinear', align_corners=False) of one channel. */
export function bilinear(src: Float64Array, sh: number, sw: number, dh: number, dw: number): Float64Array {
  const out = new Float64Array(dh * dw);
  const axis = (dst: number, inSize: number, outSize: number) => {
    const scale = inSize / outSize;
    let s = (dst + 0.5) * scale - 0.5;
    if (s < 0) s = 0;
    const i0 = Math.min(Math.floor(s), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const t = s - i0;
    return { i0, i1, t };
  };
  for (let y = 0; y < dh; y++) {
    const ay = axis(y, sh, dh);
    for (let x = 0; x < dw; x++) {
      const ax = axis(x, sw, dw);
      const top = src[ay.i0 * sw + ax.i0]! * (1 - ax.t) + src[ay.i0 * sw + ax.i1]! * ax.t;
      const bottom = src[ay.i1 * sw + ax.i0]! * (1 - ax.t) + src[ay.i1 * sw + ax.i1]! * ax.t;
      out[y * dw + x] = top * (1 - ay.t) + bottom * ay.t;
    }
  }
  return out;
}

/** Exact-arithmetic zeros: float32 and float64 may round them to either sign, so either answer is right. */
export const TIE_EPSILON = 1e-7;

/** low-res logits (m×m) → S×S → crop → original → > 0; `ties` marks pixels whose value is ~0. */
export function referencePostprocess(
  logits: Float64Array,
  m: number,
  S: number,
  resizedHw: [number, number],
  originalHw: [number, number],
): RefMask & { ties: Uint8Array } {
  const full = bilinear(logits, m, m, S, S);
  const [rh, rw] = resizedHw;
  const crop = new Float64Array(rh * rw);
  for (let y = 0; y < rh; y++) for (let x = 0; x < rw; x++) crop[y * rw + x] = full[y * S + x]!;
  const [oh, ow] = originalHw;
  const up = bilinear(crop, rh, rw, oh, ow);
  const data = new Uint8Array(oh * ow);
  const ties = new Uint8Array(oh * ow);
  for (let i = 0; i < data.length; i++) {
    data[i] = up[i]! > 0 ? 1 : 0;
    ties[i] = Math.abs(up[i]!) < TIE_EPSILON ? 1 : 0;
  }
  return { width: ow, height: oh, data, ties };
}

function window(mask: RefMask, k: number, pick: 'max' | 'min'): RefMask {
  const { width: w, height: h, data } = mask;
  const a = Math.floor(k / 2);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let v = pick === 'max' ? 0 : 1;
      for (let dy = -a; dy < k - a; dy++)
        for (let dx = -a; dx < k - a; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          const p = data[yy * w + xx]!;
          v = pick === 'max' ? Math.max(v, p) : Math.min(v, p);
        }
      out[y * w + x] = v;
    }
  return { width: w, height: h, data: out };
}

/** OpenCV MORPH_CLOSE with a k×k all-ones kernel: dilate, then erode. For even k OpenCV
 * reflects nothing: both passes use the same anchor (k/2), as morphologyEx does. */
export function referenceClose(mask: RefMask, k: number): RefMask {
  if (k <= 1) return mask;
  return window(window(mask, k, 'max'), k, 'min');
}
