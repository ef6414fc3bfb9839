"""SAM's training loss for text-prompted masks.

- Mask loss: 20 * focal + dice per candidate; the best candidate (lowest loss) carries the gradient,
  as SAM trains its multimask output, so candidates may specialise.
- The library takes the *last* candidate whose predicted IoU passes the threshold, so a candidate
  that was not the best must not look good: a small weight (`others_weight`) on the other
  candidates' mask loss keeps them usable, and the IoU head regresses (MSE) every candidate's
  actual IoU with the target.
- Absent prompts (empty target): the actual IoU is defined as 0, so the predicted IoU of every
  candidate is pushed below any threshold and the library reports passedThreshold: false.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

FOCAL_WEIGHT = 20.0


def focal_loss(logits: torch.Tensor, target: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0) -> torch.Tensor:
    """Per-mask sigmoid focal loss, mean over pixels. logits/target: [..., H, W] -> [...]."""
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_t = p * target + (1 - p) * (1 - target)
    loss = ce * (1 - p_t) ** gamma
    loss = (alpha * target + (1 - alpha) * (1 - target)) * loss
    return loss.flatten(-2).mean(-1)


def dice_loss(logits: torch.Tensor, target: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    p = torch.sigmoid(logits).flatten(-2)
    t = target.flatten(-2)
    return 1 - (2 * (p * t).sum(-1) + eps) / (p.sum(-1) + t.sum(-1) + eps)


def mask_iou(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """IoU of the binarised (> 0) masks with the target; 0 when the target is empty."""
    pred = (logits > 0).flatten(-2).float()
    t = target.flatten(-2)
    inter = (pred * t).sum(-1)
    union = pred.sum(-1) + t.sum(-1) - inter
    present = t.sum(-1) > 0
    return torch.where(present, inter / union.clamp(min=1), torch.zeros_like(inter))


def upsample_to(masks: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    """Candidate logits [B,K,m,m] -> [B,K,H,W], bilinear as the library post-processes them."""
    if tuple(masks.shape[-2:]) == tuple(hw):
        return masks
    return F.interpolate(masks, size=hw, mode="bilinear", align_corners=False)


def segmentation_loss(masks: torch.Tensor, iou_pred: torch.Tensor, target: torch.Tensor, others_weight: float = 0.1,
                      iou_weight: float = 1.0) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """masks [B,K,m,m] logits, iou_pred [B,K], target [B,H,W] in {0,1}. Returns (loss, parts)."""
    logits = upsample_to(masks.float(), tuple(target.shape[-2:]))
    t = target.float().unsqueeze(1).expand_as(logits)
    per_cand = FOCAL_WEIGHT * focal_loss(logits, t) + dice_loss(logits, t)  # [B,K]
    best = per_cand.min(dim=1).values
    mask_loss = best.mean() + others_weight * per_cand.mean()
    with torch.no_grad():
        actual = mask_iou(logits, t)
    iou_loss = F.mse_loss(iou_pred.float(), actual)
    loss = mask_loss + iou_weight * iou_loss
    return loss, {"mask": mask_loss.detach(), "iou": iou_loss.detach(), "best_iou": actual.max(1).values.mean()}
