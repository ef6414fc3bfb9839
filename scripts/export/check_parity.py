#!/usr/bin/env python3
"""PyTorch vs ONNX Runtime on the same inputs for an exported package.

  python scripts/export/check_parity.py --package <dir> [--image photo.jpg]... [--prompt "a cat"]...

The PyTorch modules are rebuilt from the package's export-info.json (family, preset, seed or checkpoints); the
options below override it. Prints the max |diff| of every graph output (each graph fed the PyTorch inputs),
the max |diff| of masks and IoU scores through the whole ONNX chain, and the IoU of the final masks
post-processed like the library (bilinear to S, crop, bilinear to the original size, > 0). A package with the
interactive path (prompt_encoder) is also checked on one prompt of each kind (a point, a positive and a negative
point, a box, a box with a point; interactive_prompts.default_prompts): "(points)" marks those outputs, their masks
bilinear straight to the original size as transformers' post_process_masks. A package without a text path is
checked on those alone. A package with the CLIP image tower (--clip-image-tower) also prints the max |diff| of
its image_embeds on CLIPImageProcessor's pixel values of each image.
For sam3-concept: the max |diff| (and that relative to the output's largest value) of every graph output, of
the detector outputs and instance scores through the whole ONNX chain, whether the same queries pass --threshold,
and the IoU of their masks post-processed as transformers does (σ, bilinear to the original size, > 0.5).
Needs the built library (npm run build:ts): images and prompts go through its own decoder and tokenizer.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from sam3clip_export.concept_parity import compare_concept  # noqa: E402
from sam3clip_export.parity import OrtPackage, compare_on_image  # noqa: E402
from sam3clip_export.pipeline import CONCEPT_FAMILY, FAMILIES  # noqa: E402
from sam3clip_export.rebuild import rebuild_modules  # noqa: E402
from sam3clip_export.synthetic import write_synthetic_png  # noqa: E402

DEFAULT_PROMPTS = ["a cat", "the red car on the left", "sky"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", required=True)
    ap.add_argument("--family", choices=FAMILIES)
    ap.add_argument("--preset", choices=("tiny", "full"))
    ap.add_argument("--seed", type=int)
    ap.add_argument("--sam-checkpoint")
    ap.add_argument("--clip-checkpoint")
    ap.add_argument("--projection")
    ap.add_argument("--image", action="append", help="image file (repeatable); default: a synthetic image")
    ap.add_argument("--prompt", action="append", help=f"prompt (repeatable); default: {DEFAULT_PROMPTS}")
    ap.add_argument("--min-iou", type=float, default=0.0, help="exit 1 when a final-mask IoU is below this")
    ap.add_argument("--threshold", type=float, default=0.3, help="sam3-concept: instance score threshold")
    args = ap.parse_args(argv)
    if not os.path.isfile(os.path.join(args.package, "manifest.json")):
        print(f"error: no manifest.json in {args.package}", file=sys.stderr)
        return 1
    t0 = time.time()
    try:
        modules = rebuild_modules(args.package, family=args.family, preset=args.preset, seed=args.seed,
                                  sam_checkpoint=args.sam_checkpoint, clip_checkpoint=args.clip_checkpoint,
                                  projection=args.projection)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    pkg = OrtPackage(args.package)
    print(f"package {args.package} ({pkg.manifest['precision']}, {pkg.manifest['family']}); "
          f"modules rebuilt in {time.time() - t0:.1f}s")
    prompts = args.prompt or DEFAULT_PROMPTS
    worst = 1.0
    with tempfile.TemporaryDirectory() as tmp:
        images = args.image or [write_synthetic_png(os.path.join(tmp, "synthetic.png"), 320, 240, seed=1)]
        for image in images:
            if pkg.manifest["family"] == CONCEPT_FAMILY:
                worst = min(worst, report_concept(modules, pkg, image, prompts, args.threshold))
                continue
            t1 = time.time()
            r = compare_on_image(modules, pkg, image, prompts)
            paths = [f"{len(prompts)} text prompts"] if "text_encoder" in pkg.manifest["files"] else []
            paths += ["point and box prompts"] if "prompt_encoder" in pkg.manifest["files"] else []
            print(f"\n{os.path.basename(image)} {r['original_hw'][1]}×{r['original_hw'][0]}, {', '.join(paths)} "
                  f"({time.time() - t1:.1f}s)")
            for name, d in r["diffs"].items():
                print(f"  max|diff| {name:28s} {d:.3e}")
            for name, d in r["chain_diffs"].items():
                print(f"  max|diff| {name + ' (chain)':28s} {d:.3e}")
            print(f"  final-mask IoU min {r['mask_iou_min']:.5f} mean {r['mask_iou_mean']:.5f} "
                  f"(PyTorch foreground fraction {r['foreground_fraction'][0]:.3f}..{r['foreground_fraction'][1]:.3f})")
            if "image_tower" in pkg.manifest["files"]:
                print(f"  max|diff| {'image_embeds (image_tower)':28s} {image_tower_diff(modules, pkg, image):.3e}")
            worst = min(worst, r["mask_iou_min"])
    if worst < args.min_iou:
        print(f"FAIL: final-mask IoU {worst:.5f} < {args.min_iou}")
        return 1
    return 0


def image_tower_diff(modules, pkg, image: str) -> float:
    """The image tower on CLIPImageProcessor's pixel values of the image: ONNX Runtime vs PyTorch."""
    import torch

    from sam3clip_export.suggest_fixture import clip_pixel_values

    pixels = clip_pixel_values(image, pkg.manifest["imageTower"])
    with torch.no_grad():
        want = modules.image_tower(pixels).numpy()
    got = pkg.run("image_tower", {"pixel_values": pixels.numpy()})[0]
    return float(np.abs(got - want).max())


def report_concept(modules, pkg, image: str, prompts: list[str], threshold: float) -> float:
    t1 = time.time()
    r = compare_concept(modules, pkg, image, prompts, threshold)
    print(f"\n{os.path.basename(image)} {r['original_hw'][1]}×{r['original_hw'][0]}, {len(prompts)} prompts "
          f"({time.time() - t1:.1f}s)")
    for name, (d, rel) in r["diffs"].items():
        print(f"  max|diff| {name:24s} {d:.3e}  rel {rel:.2e}")
    for name, (d, rel) in r["chain_diffs"].items():
        print(f"  max|diff| {name + ' (chain)':24s} {d:.3e}  rel {rel:.2e}")
    print(f"  max|diff| {'scores (chain)':24s} {r['score_diff']:.3e}")
    print(f"  presence {', '.join(f'{p:.3f}' for p in r['presence'])}; instances > {threshold}: {r['kept']} "
          f"({'same' if r['same_kept'] else 'DIFFERENT'} queries in ONNX); mask IoU min {r['mask_iou_min']:.5f}")
    return r["mask_iou_min"] if r["same_kept"] else 0.0


if __name__ == "__main__":
    sys.exit(main())
