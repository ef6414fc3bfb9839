"""COCO reader: (image, prompt, target mask) samples from any COCO-format dataset.

Prompts are category names, plus referring expressions where an annotation carries "sentences"
(RefCOCO style) or "expressions". For a category prompt the target is the union of that category's
instances in the image; for an expression it is the one annotated instance. Prompts of categories
absent from the image are sampled too, with an empty target, so the model learns not to fire.

Masks: uncompressed RLE, compressed RLE strings and polygons are decoded here (no pycocotools).
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def rle_counts_from_string(s: str) -> list[int]:
    """Decodes pycocotools' compressed RLE counts (6-bit chunks, deltas from the run two back)."""
    counts: list[int] = []
    p = 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def decode_rle(rle: dict) -> np.ndarray:
    h, w = rle["size"]
    counts = rle["counts"]
    if isinstance(counts, (str, bytes)):
        counts = rle_counts_from_string(counts.decode() if isinstance(counts, bytes) else counts)
    flat = np.zeros(h * w, dtype=bool)
    pos, value = 0, False
    for n in counts:
        if value:
            flat[pos:pos + n] = True
        pos += n
        value = not value
    return flat.reshape((w, h)).T  # column-major, as COCO stores it


def decode_polygons(polygons: list[list[float]], h: int, w: int) -> np.ndarray:
    img = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(img)
    for poly in polygons:
        if len(poly) >= 6:
            draw.polygon([(poly[i], poly[i + 1]) for i in range(0, len(poly), 2)], fill=1)
    return np.asarray(img, dtype=bool)


def decode_segmentation(seg, h: int, w: int) -> np.ndarray:
    if isinstance(seg, list):
        return decode_polygons(seg, h, w)
    if isinstance(seg, dict):
        return decode_rle(seg)
    raise ValueError(f"unsupported segmentation {type(seg).__name__}")


def expressions_of(ann: dict) -> list[str]:
    """Referring expressions of one annotation: RefCOCO's [{"sent": ...}] or plain strings."""
    out = []
    for key in ("sentences", "expressions"):
        for s in ann.get(key, []) or []:
            text = s.get("sent") or s.get("raw") if isinstance(s, dict) else s
            if isinstance(text, str) and text.strip():
                out.append(text.strip())
    return out


@dataclass(frozen=True)
class Sample:
    image_path: Path
    image_id: int
    prompt: str
    # Annotation ids whose union is the target; empty = the prompt names nothing in the image.
    ann_ids: tuple[int, ...]


class CocoDataset:
    """Indexes one COCO annotation file; `samples()` lists prompt/target pairs, `target()` decodes one."""

    def __init__(self, annotations: Path, images_dir: Path | None = None):
        annotations = Path(annotations)
        data = json.loads(annotations.read_text())
        self.images_dir = Path(images_dir) if images_dir else annotations.parent / "images"
        self.images = {im["id"]: im for im in data["images"]}
        self.categories = {c["id"]: c["name"] for c in data["categories"]}
        self.anns = {a["id"]: a for a in data["annotations"]}
        self.by_image: dict[int, list[dict]] = {i: [] for i in self.images}
        for a in data["annotations"]:
            self.by_image[a["image_id"]].append(a)

    def image_path(self, image_id: int) -> Path:
        return self.images_dir / self.images[image_id]["file_name"]

    def samples(self, absent_per_image: int = 1, seed: int = 0, hard_negatives: bool = False) -> list[Sample]:
        """Every present category (and expression) of every image, plus absent categories with empty targets.

        hard_negatives: absent categories that share a word with a present one ("red square" beside a red
        circle) are drawn first; those are the prompts a model that reads only one word gets wrong.
        """
        rng = random.Random(seed)
        out: list[Sample] = []
        for image_id, anns in self.by_image.items():
            path = self.image_path(image_id)
            present: dict[int, list[int]] = {}
            for a in anns:
                if a.get("iscrowd", 0):
                    continue
                present.setdefault(a["category_id"], []).append(a["id"])
                out.extend(Sample(path, image_id, e, (a["id"],)) for e in expressions_of(a))
            for cat, ids in present.items():
                out.append(Sample(path, image_id, self.categories[cat], tuple(ids)))
            absent = [c for c in self.categories if c not in present]
            if hard_negatives:
                words = {w for c in present for w in self.categories[c].split()}
                hard = [c for c in absent if words & set(self.categories[c].split())]
                easy = [c for c in absent if not words & set(self.categories[c].split())]
                picked = (rng.sample(hard, len(hard)) + rng.sample(easy, len(easy)))[:absent_per_image]
            else:
                picked = rng.sample(absent, min(absent_per_image, len(absent)))
            for cat in picked:
                out.append(Sample(path, image_id, self.categories[cat], ()))
        return out

    def target(self, sample: Sample) -> np.ndarray:
        """Union of the sample's instance masks at the image's size (all False when absent)."""
        im = self.images[sample.image_id]
        h, w = im["height"], im["width"]
        mask = np.zeros((h, w), dtype=bool)
        for ann_id in sample.ann_ids:
            mask |= decode_segmentation(self.anns[ann_id]["segmentation"], h, w)
        return mask

    def load_image(self, image_id: int) -> np.ndarray:
        return np.asarray(Image.open(self.image_path(image_id)).convert("RGB"))
