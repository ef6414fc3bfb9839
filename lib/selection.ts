/**
 * The detection rule: among the candidates whose predicted IoU exceeds the threshold take the last
 * (SAM orders candidates from part to whole); if none does, take the best and flag it.
 */
export function selectCandidate(iou: ArrayLike<number>, threshold: number): { index: number; passed: boolean } {
  let last = -1;
  let best = 0;
  for (let i = 0; i < iou.length; i++) {
    if (iou[i]! > threshold) last = i;
    if (iou[i]! > iou[best]!) best = i;
  }
  return last >= 0 ? { index: last, passed: true } : { index: best, passed: false };
}
