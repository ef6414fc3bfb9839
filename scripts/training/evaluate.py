"""Held-out evaluation the way the library decides: per prompt, the candidate chosen by the
library's threshold rule, upsampled to the image size and binarised at 0, against the target.

Reports per prompt the mean IoU over images where it is present, and over images where it is
absent how often it was (wrongly) reported as found (passed the threshold with a non-empty mask).
"""
from __future__ import annotations

from collections import defaultdict

import torch

from .losses import upsample_to


def select_candidate(iou: list[float], threshold: float) -> tuple[int, bool]:
    """lib/selection.ts: the last candidate above the threshold, else the best one, flagged."""
    last, best = -1, 0
    for i, v in enumerate(iou):
        if v > threshold:
            last = i
        if v > iou[best]:
            best = i
    return (last, True) if last >= 0 else (best, False)


class PromptScores:
    def __init__(self):
        self.ious: dict[str, list[float]] = defaultdict(list)
        self.absent_fired: dict[str, list[bool]] = defaultdict(list)

    def add(self, prompt: str, masks: torch.Tensor, iou_pred: torch.Tensor, target: torch.Tensor, threshold: float):
        """masks [K,m,m] logits, iou_pred [K], target [H,W] bool."""
        index, passed = select_candidate(iou_pred.tolist(), threshold)
        pred = upsample_to(masks[index][None, None].float(), tuple(target.shape))[0, 0] > 0
        if target.any():
            inter = (pred & target).sum().item()
            union = (pred | target).sum().item()
            self.ious[prompt].append(inter / union)
        else:
            self.absent_fired[prompt].append(bool(passed and pred.any()))

    def summary(self) -> dict[str, dict[str, float]]:
        out = {}
        for p in sorted(set(self.ious) | set(self.absent_fired)):
            iou, fired = self.ious.get(p, []), self.absent_fired.get(p, [])
            out[p] = {
                "iou": sum(iou) / len(iou) if iou else float("nan"),
                "present": len(iou),
                "absent_fired": sum(fired) / len(fired) if fired else float("nan"),
                "absent": len(fired),
            }
        return out

    def format(self) -> str:
        rows = [f"{'prompt':<16} {'IoU':>6} {'n':>4}  {'absent fired':>12} {'n':>4}"]
        s = self.summary()
        for p, v in s.items():
            rows.append(f"{p:<16} {v['iou']:6.3f} {v['present']:4d}  {v['absent_fired']:12.3f} {v['absent']:4d}")
        ious = [v["iou"] for v in s.values() if v["present"]]
        if ious:
            rows.append(f"{'mean':<16} {sum(ious) / len(ious):6.3f}   min {min(ious):.3f}")
        return "\n".join(rows)
