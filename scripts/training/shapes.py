"""Synthetic "coloured shapes" images written as a COCO dataset.

Each image holds 2-4 filled shapes ("red circle", "blue square", "green triangle", ...) on a noisy
background, at random sizes and positions, overlapping a little at most. Everything follows from the
seed, so a held-out set is just another seed. scripts/fixtures/shapes-image.ts draws the same kind of image
in TypeScript (same colours, shapes, size ranges and noise); keep the two in step.

The output is plain COCO (images, annotations with uncompressed RLE, categories named by their
prompt) so that training reads synthetic and real data through one loader (coco.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "green": (40, 190, 60),
    "blue": (50, 80, 230),
}
SHAPES = ("circle", "square", "triangle")
CATEGORIES = [f"{c} {s}" for c in COLOURS for s in SHAPES]

# Recipe shared with scripts/fixtures/shapes-image.ts.
IMAGE_SIZE = 128
RADIUS = (18, 32)  # half the bounding-box side, pixels
OBJECTS = (2, 4)
COLOUR_JITTER = 20  # per channel, per object
BACKGROUND = (30, 100)  # base grey level range
BACKGROUND_NOISE = 24  # uniform +- per pixel and channel
OBJECT_NOISE = 12
MAX_OVERLAP = 0.15  # of the smaller shape's area


def shape_mask(shape: str, cx: float, cy: float, r: float, size: int) -> np.ndarray:
    """Boolean mask of one shape, sampled at pixel centres (no anti-aliasing, so TS draws the same)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    if shape == "circle":
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    if shape == "square":
        return (np.abs(x - cx) <= r) & (np.abs(y - cy) <= r)
    if shape == "triangle":
        # Apex up, base 2r wide at cy + r, height 2r: inside when below the two slanted edges.
        top, bottom = cy - r, cy + r
        t = (y - top) / (2 * r)  # 0 at the apex, 1 at the base
        return (y >= top) & (y <= bottom) & (np.abs(x - cx) <= t * r)
    raise ValueError(f"unknown shape {shape!r}")


@dataclass
class Instance:
    category: str
    mask: np.ndarray  # visible part, bool HxW


def render_image(rng: np.random.Generator, size: int = IMAGE_SIZE,
                 same_colour: float = 0.0) -> tuple[np.ndarray, list[Instance]]:
    """One image (uint8 HxWx3) and its instances' visible masks.

    same_colour: for training sets only, the chance that a shape takes the colour of one already drawn.
    A scene with a red circle beside a red square is the only kind where the colour word alone does not
    find the object, so raising it puts more of the training signal on the shape word. At 0 (the held-out
    recipe, and the TS drawer's) no extra random numbers are drawn.
    """
    base = rng.integers(BACKGROUND[0], BACKGROUND[1] + 1, size=3)
    img = base[None, None, :] + rng.integers(-BACKGROUND_NOISE, BACKGROUND_NOISE + 1, size=(size, size, 3))
    img = img.astype(np.int32)
    instances: list[Instance] = []
    wanted = int(rng.integers(OBJECTS[0], OBJECTS[1] + 1))
    for _ in range(wanted * 20):  # rejection sampling for placements that overlap too much
        if len(instances) == wanted:
            break
        colour = list(COLOURS)[int(rng.integers(len(COLOURS)))]
        if same_colour > 0 and instances and rng.random() < same_colour:
            colour = instances[int(rng.integers(len(instances)))].category.split()[0]
        shape = SHAPES[int(rng.integers(len(SHAPES)))]
        r = float(rng.uniform(*RADIUS))
        cx, cy = (float(v) for v in rng.uniform(r, size - r, size=2))
        m = shape_mask(shape, cx, cy, r, size)
        area = m.sum()
        if any((m & o.mask).sum() > MAX_OVERLAP * min(area, o.mask.sum()) for o in instances):
            continue
        for o in instances:  # later shapes are drawn on top: earlier ones lose the covered pixels
            o.mask &= ~m
        rgb = np.array(COLOURS[colour]) + rng.integers(-COLOUR_JITTER, COLOUR_JITTER + 1, size=3)
        noise = rng.integers(-OBJECT_NOISE, OBJECT_NOISE + 1, size=(int(area), 3))
        img[m] = rgb[None, :] + noise
        instances.append(Instance(f"{colour} {shape}", m))
    return np.clip(img, 0, 255).astype(np.uint8), [i for i in instances if i.mask.any()]


def encode_rle(mask: np.ndarray) -> dict:
    """COCO uncompressed RLE: run lengths over the column-major flattening, starting with zeros."""
    flat = np.asarray(mask, dtype=np.uint8).flatten(order="F")
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat[0] == 1:
        counts = [0] + counts
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": counts}


def bbox(mask: np.ndarray) -> list[float]:
    ys, xs = np.nonzero(mask)
    return [float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)]


def write_dataset(out: Path, count: int, seed: int, size: int = IMAGE_SIZE, same_colour: float = 0.0) -> Path:
    """Writes out/images/*.png and out/annotations.json; returns the annotation file."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    cat_ids = {name: i + 1 for i, name in enumerate(CATEGORIES)}
    images, annotations = [], []
    for image_id in range(1, count + 1):
        img, instances = render_image(rng, size, same_colour)
        name = f"{seed}-{image_id:06d}.png"
        Image.fromarray(img).save(out / "images" / name)
        images.append({"id": image_id, "file_name": name, "width": size, "height": size})
        for inst in instances:
            annotations.append({
                "id": len(annotations) + 1,
                "image_id": image_id,
                "category_id": cat_ids[inst.category],
                "segmentation": encode_rle(inst.mask),
                "area": float(inst.mask.sum()),
                "bbox": bbox(inst.mask),
                "iscrowd": 0,
            })
    coco = {
        "info": {"description": f"synthetic coloured shapes, seed {seed}"},
        "images": images,
        "annotations": annotations,
        "categories": [{"id": i, "name": n, "supercategory": "shape"} for n, i in cat_ids.items()],
    }
    path = out / "annotations.json"
    path.write_text(json.dumps(coco))
    return path


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description="Write a synthetic coloured-shapes COCO dataset")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--same-colour", type=float, default=0.0, help="chance a shape reuses a drawn shape's colour")
    a = p.parse_args()
    print(write_dataset(a.out, a.count, a.seed, same_colour=a.same_colour))
