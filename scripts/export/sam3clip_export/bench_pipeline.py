"""A package's whole pipeline in PyTorch, stage by stage, the way a PyTorch user would run it — the reference the
benchmark (scripts/bench/torch_reference.py) times the library against.

The stages are the library's (docs/model-package.md): decode + preprocess (PIL decode with EXIF orientation,
torchvision's antialiased bilinear resize on uint8, as transformers' processors do; normalization), the image
encoder, the text tower (tokenizers on the package's tokenizer.json, then the text encoder), the prompt path
(projection + mask decoder, or the detector) and post-processing (candidate selection or instance scores, bilinear
upsampling to the original size, the k×k morphological close, mask area and box). Only the export's own modules run
the graphs, so the weights are the package's.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from .pipeline import CONCEPT_FAMILY
from .prompts import pad_ids

STAGES = ("decodePreprocess", "imageEncoder", "textTower", "promptPath", "postprocess", "total")
SMOOTHNESS = 3  # the library's default k×k close
TRACKER_THRESHOLD = 0.5  # the library's default detection threshold on the predicted IoU
MAX_INSTANCES = 100  # the library's default for sam3-concept


@dataclass
class Timed:
    """Stage times in ms, filled as the stages run."""

    stages: dict = field(default_factory=dict)

    @contextlib.contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = self.stages.get(name, 0.0) + (time.perf_counter() - start) * 1000


@dataclass
class Features:
    """One image's encoder outputs and the sizes post-processing needs."""

    tensors: tuple
    original_hw: tuple[int, int]
    resized_hw: tuple[int, int]


def close_mask(mask: torch.Tensor, k: int) -> torch.Tensor:
    """k×k binary close (dilate then erode), borders as OpenCV's defaults leave them: outside counts as neither."""
    if k <= 1:
        return mask
    x = mask[None, None].float()
    dilated = F.max_pool2d(x, k, stride=1, padding=k // 2)
    closed = -F.max_pool2d(-dilated, k, stride=1, padding=k // 2)
    return closed[0, 0] > 0.5


def mask_stats(mask: torch.Tensor) -> tuple[int, list[int]]:
    """(area, [x, y, w, h]) of a bool mask, as the library reports them."""
    area = int(mask.sum())
    if area == 0:
        return 0, [0, 0, 0, 0]
    rows = torch.nonzero(mask.any(dim=1)).flatten()
    cols = torch.nonzero(mask.any(dim=0)).flatten()
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])
    return area, [x0, y0, x1 - x0 + 1, y1 - y0 + 1]


class BenchPipeline:
    """The package's modules behind the library's stages; ``precision`` 'bf16' runs the graphs under CPU autocast."""

    def __init__(self, modules, manifest: dict, package_dir: str, precision: str = "fp32"):
        from tokenizers import Tokenizer

        self.modules = modules
        self.manifest = manifest
        self.concept = manifest["family"] == CONCEPT_FAMILY
        self.precision = precision
        self.tokenizer = Tokenizer.from_file(os.path.join(package_dir, manifest["files"]["tokenizer"]["path"]))
        image = manifest["image"]
        self.size, self.resize = image["size"], image["resize"]
        self.mean = torch.tensor(image["mean"], dtype=torch.float32).reshape(3, 1, 1)
        self.std = torch.tensor(image["std"], dtype=torch.float32).reshape(3, 1, 1)

    def autocast(self):
        if self.precision == "bf16":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    # --- stages -----------------------------------------------------------------------------------------------

    def prepare(self, image_path: str) -> tuple[torch.Tensor, tuple[int, int], tuple[int, int]]:
        """pixel_values [1,3,S,S] float32, original (h, w), resized (h, w)."""
        from PIL import Image, ImageOps
        from torchvision.transforms.v2 import InterpolationMode
        from torchvision.transforms.v2 import functional as TF

        with Image.open(image_path) as im:
            rgb = ImageOps.exif_transpose(im).convert("RGB")
        pixels = torch.from_numpy(np.array(rgb)).permute(2, 0, 1)  # uint8 [3,H,W] (a copy: PIL's buffer is read-only)
        h, w = int(pixels.shape[1]), int(pixels.shape[2])
        S = self.size
        if self.resize == "stretch":
            rh, rw = S, S
        else:
            scale = S / max(w, h)
            rh, rw = max(1, min(S, int(h * scale + 0.5))), max(1, min(S, int(w * scale + 0.5)))
        if (rh, rw) != (h, w):
            pixels = TF.resize(pixels, [rh, rw], interpolation=InterpolationMode.BILINEAR, antialias=True)
        x = torch.zeros(1, 3, S, S, dtype=torch.float32)
        x[0, :, :rh, :rw] = (pixels.float() / 255 - self.mean) / self.std
        return x, (h, w), (rh, rw)

    def tokens(self, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """input_ids and attention_mask [B,L] as the library makes them (whitespace collapsed, lowercased)."""
        tok = self.manifest["tokenizer"]
        L, pad = tok["contextLength"], tok["padId"]
        texts = [" ".join(p.split()) for p in prompts]
        if tok.get("lowercase", True):
            texts = [t.lower() for t in texts]
        encoded = [e.ids for e in self.tokenizer.encode_batch(texts)]
        ids = torch.tensor([pad_ids(e, L, pad) for e in encoded], dtype=torch.int64)
        lengths = [min(len(e), L) for e in encoded]
        mask = torch.tensor([[1] * n + [0] * (L - n) for n in lengths], dtype=torch.int64)
        return ids, mask

    def embed(self, image_path: str, timed: Timed) -> Features:
        with timed.stage("decodePreprocess"):
            pixels, original_hw, resized_hw = self.prepare(image_path)
        with timed.stage("imageEncoder"), torch.inference_mode(), self.autocast():
            feats = self.modules.image_encoder(pixels)
            feats = tuple(f.float() for f in (feats if isinstance(feats, tuple) else (feats,)))
        return Features(feats, original_hw, resized_hw)

    def query(self, features: Features, prompts: list[str], timed: Timed) -> list[list[float]]:
        """Segments the prompts in one image; returns per prompt the scores the benchmark compares (tracker: the
        candidates' predicted IoU; sam3-concept: presence and the best query's score)."""
        m = self.modules
        with timed.stage("textTower"), torch.inference_mode(), self.autocast():
            ids, mask = self.tokens(prompts)
            takes_mask = self.concept or m.dims.get("attention_mask")  # sam3-concept, Chinese-CLIP's BERT
            text = m.text_encoder(ids, mask) if takes_mask else m.text_encoder(ids)
        with timed.stage("promptPath"), torch.inference_mode(), self.autocast():
            if self.concept:  # the image encoder's first three outputs are the detector's FPN levels
                out = tuple(o.float() for o in m.detector(*features.tensors[:3], text, mask))
            else:
                out = tuple(o.float() for o in m.mask_decoder(*features.tensors, m.projection(text)))
        with timed.stage("postprocess"), torch.inference_mode():
            return self.concept_results(features, *out) if self.concept else self.tracker_results(features, *out)

    def segment(self, image_path: str, prompts: list[str], timed: Timed) -> list[list[float]]:
        start = time.perf_counter()
        scores = self.query(self.embed(image_path, timed), prompts, timed)
        timed.stages["total"] = (time.perf_counter() - start) * 1000
        return scores

    # --- post-processing, as the library does it ------------------------------------------------------------

    def tracker_results(self, features: Features, masks: torch.Tensor, iou: torch.Tensor) -> list[list[float]]:
        """Per prompt: the last candidate above the threshold (else the best), its m×m logits → S×S → crop to the
        resized image → original size → > 0 → close."""
        S, (rh, rw), (h, w) = self.size, features.resized_hw, features.original_hw
        scores, results = [], []  # results: what a caller gets, held to the end of the call as the library holds them
        for b in range(masks.shape[0]):
            values = iou[b].tolist()
            above = [i for i, v in enumerate(values) if v > TRACKER_THRESHOLD]
            choice = above[-1] if above else int(np.argmax(values))
            logits = masks[b, choice][None, None]
            logits = F.interpolate(logits, size=(S, S), mode="bilinear", align_corners=False)[..., :rh, :rw]
            logits = F.interpolate(logits, size=(h, w), mode="bilinear", align_corners=False)
            mask = close_mask(logits[0, 0] > 0, SMOOTHNESS)
            area, bbox = mask_stats(mask)
            results.append({"mask": mask, "score": values[choice], "passed": bool(above), "area": area, "bbox": bbox})
            scores.append(values)
        return scores

    def concept_results(self, features: Features, logits, boxes, masks, presence) -> list[list[float]]:
        """Per prompt: score σ(logit)·σ(presence), the queries above the manifest's threshold best first (at most
        MAX_INSTANCES), each mask σ → bilinear to the original size → > mask threshold → close, boxes scaled and
        clipped, then the union's area and box."""
        h, w = features.original_hw
        thresholds = self.manifest.get("thresholds", {})
        score_threshold, mask_threshold = thresholds.get("score", 0.5), thresholds.get("mask", 0.5)
        scale = torch.tensor([w, h, w, h], dtype=torch.float32)
        scores, results = [], []  # results: what a caller gets, held to the end of the call as the library holds them
        for b in range(logits.shape[0]):
            p = torch.sigmoid(presence[b, 0])
            score = torch.sigmoid(logits[b]) * p
            kept = torch.nonzero(score > score_threshold).flatten()
            kept = kept[torch.argsort(score[kept], descending=True)][:MAX_INSTANCES]
            union = torch.zeros(h, w, dtype=torch.bool)
            instances = []
            for q in kept.tolist():
                prob = torch.sigmoid(masks[b, q])[None, None]
                inst = F.interpolate(prob, size=(h, w), mode="bilinear", align_corners=False)[0, 0] > mask_threshold
                inst = close_mask(inst, SMOOTHNESS)
                area, bbox = mask_stats(inst)
                box = (boxes[b, q] * scale).clamp(min=0).minimum(scale).tolist()
                instances.append({"mask": inst, "score": float(score[q]), "box": box, "area": area, "bbox": bbox})
                union |= inst
            area, bbox = mask_stats(union)
            results.append({"mask": union, "instances": instances, "area": area, "bbox": bbox})
            scores.append([float(p), float(score.max())])
        return scores
