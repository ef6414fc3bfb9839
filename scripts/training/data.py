"""Training data in memory: images as uint8 tensors, samples grouped by image, targets decoded once.

Preprocessing matches the package contract for the SAM3 family ("stretch" resize to S×S, then
(x/255 - mean)/std), so the network sees at training time what the library feeds it.
"""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .coco import CocoDataset, Sample

# Loss targets larger than this (real COCO photos) are downsampled: the masks come out at m×m anyway.
MAX_TARGET_SIDE = 256


def preprocess(image_u8: torch.Tensor, size: int, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)) -> torch.Tensor:
    """[H,W,3] uint8 (or [B,H,W,3]) -> [B,3,S,S] float, stretched as the library's 'stretch' resize: the
    antialiased bilinear resize on the uint8 image (the library's resizeRgb and transformers' processors compute
    exactly this), then (x/255 - mean)/std."""
    x = image_u8 if image_u8.dim() == 4 else image_u8[None]
    x = x.permute(0, 3, 1, 2).contiguous()
    if tuple(x.shape[-2:]) != (size, size):
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    x = x.float() / 255.0
    m = torch.tensor(mean).view(1, 3, 1, 1)
    s = torch.tensor(std).view(1, 3, 1, 1)
    return (x - m) / s


def shrink_target(mask: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(mask)
    h, w = t.shape
    scale = MAX_TARGET_SIDE / max(h, w)
    if scale < 1:
        size = (max(1, round(h * scale)), max(1, round(w * scale)))
        t = F.interpolate(t[None, None].float(), size=size, mode="area")[0, 0] > 0.5
    return t


class ImageItem:
    def __init__(self, image: torch.Tensor, samples: list[Sample], targets: list[torch.Tensor]):
        self.image = image  # [H,W,3] uint8
        self.samples = samples
        self.targets = targets  # bool [h,w] each, same size within the image


class PromptData:
    """All images of one COCO file with their prompt samples; `batch()` draws images at random."""

    def __init__(self, annotations: Path, absent_per_image: int = 1, seed: int = 0, hard_negatives: bool = False):
        ds = CocoDataset(annotations)
        by_image: dict[int, list[Sample]] = {}
        for s in ds.samples(absent_per_image=absent_per_image, seed=seed, hard_negatives=hard_negatives):
            by_image.setdefault(s.image_id, []).append(s)
        self.items = [
            ImageItem(torch.from_numpy(ds.load_image(i).copy()), ss, [shrink_target(ds.target(s)) for s in ss])
            for i, ss in by_image.items()
        ]
        self.prompts = sorted({s.prompt for item in self.items for s in item.samples})
        self.rng = random.Random(seed)

    def batch(self, n: int) -> list[ImageItem]:
        return self.rng.sample(self.items, min(n, len(self.items)))
