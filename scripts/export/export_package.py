#!/usr/bin/env python3
"""Export a sam3clip model package from PyTorch checkpoints (or random weights of the real architecture).

  python scripts/export/export_package.py --family sam3 --sam-checkpoint facebook/sam3 \
      --clip-checkpoint openai/clip-vit-large-patch14 --projection projection.safetensors \
      --precision fp32 --out packages/sam3-clip-l14 --name sam3-clip-l14
  python scripts/export/export_package.py --family sam3 --sam-checkpoint facebook/sam3 \
      --out packages/sam3-tracker --name sam3-tracker
  python scripts/export/export_package.py --family sam3 --preset tiny --random-init --out /tmp/tiny --name sam3-tiny
  python scripts/export/export_package.py --family sam3 --preset tiny --random-init --no-text --out /tmp/t --name t
  python scripts/export/export_package.py --family sam3-concept --sam-checkpoint facebook/sam3 \
      --out packages/sam3-concept --name sam3-concept
  python scripts/export/export_package.py --family sam3-concept --preset tiny --random-init --out /tmp/c --name c-tiny

The tracker families (sam3, sam2, sam) get the text path (CLIP's text tower, the projection, tokenizer.json) from
--clip-checkpoint and --projection; with neither (or --no-text) the package is the tracker alone: image encoder,
prompt encoder (points and boxes) and mask decoder. sam3 and sam2 packages always have the prompt encoder; sam
(SAM 1) has none, so it needs the text path.
sam3-concept is transformers' Sam3Model (SAM3's own text path): one checkpoint, its tokenizer.json and
preprocessor_config.json from the same folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sam3clip_export.export_info import write_export_info  # noqa: E402
from sam3clip_export.pipeline import CONCEPT_FAMILY, FAMILIES, build_modules  # noqa: E402
from sam3clip_export.text_towers import TEXT_TOWERS  # noqa: E402
from sam3clip_export.tokenizer import resolve_tokenizer  # noqa: E402


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--family", choices=FAMILIES, default="sam3")
    ap.add_argument("--sam-checkpoint", help="folder (or hub id) of the SAM / SAM 2.1 / SAM3 checkpoint "
                                             "(sam3-concept: a Sam3Model folder, tokenizer included)")
    ap.add_argument("--clip-checkpoint", help="folder (or hub id) of CLIP (the text tower and tokenizer.json)")
    ap.add_argument("--projection", help="trained projection weights (.safetensors or torch state dict)")
    ap.add_argument("--random-init", action="store_true",
                    help="random weights of the real architecture (tests, benchmarks); no checkpoints needed")
    ap.add_argument("--no-text", action="store_true",
                    help="tracker families: no text path (with --random-init; checkpoints: give no --clip-checkpoint "
                         "and --projection instead)")
    ap.add_argument("--clip-image-tower", action="store_true",
                    help="tracker families with the text path: also export CLIP's image tower (image_tower.onnx, "
                         "from --clip-checkpoint) for prompt suggestions")
    ap.add_argument("--text-tower", choices=TEXT_TOWERS, default="clip",
                    help="tracker families: the text path's tower; chinese-clip reads Chinese (and English) prompts "
                         "from a ChineseCLIPModel folder given as --clip-checkpoint")
    ap.add_argument("--seed", type=int, default=0, help="seed of --random-init")
    ap.add_argument("--preset", choices=("tiny", "full"), default="full",
                    help="architecture sizes for --random-init (checkpoints bring their own)")
    ap.add_argument("--precision", choices=("fp32", "fp16"), default="fp32")
    ap.add_argument("--weights", choices=("fp32", "fp16"), default=None,
                    help="stored weight precision (default: --precision); fp16 with --precision fp32 halves the "
                         "files and still computes in fp32 on ONNX Runtime")
    ap.add_argument("--bpe", help="CLIP bpe_simple_vocab_16e6.txt.gz when the CLIP checkpoint has no tokenizer.json")
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--name", required=True, help="package name ([a-z0-9][a-z0-9._-]*)")
    args = ap.parse_args(argv)
    if args.random_init:
        if args.sam_checkpoint or args.clip_checkpoint or args.projection:
            ap.error("--random-init builds every part at random: leave out the checkpoints and --projection")
    elif args.family == CONCEPT_FAMILY:
        if args.clip_checkpoint or args.projection:
            ap.error(f"{CONCEPT_FAMILY} brings its own text tower: leave out --clip-checkpoint and --projection")
        if not args.sam_checkpoint:
            ap.error("missing --sam-checkpoint (or pass --random-init)")
    else:
        if not args.sam_checkpoint:
            ap.error("missing --sam-checkpoint (or pass --random-init)")
        if bool(args.clip_checkpoint) != bool(args.projection):
            given, missing = (("--clip-checkpoint", "--projection") if args.clip_checkpoint
                              else ("--projection", "--clip-checkpoint"))
            ap.error(f"{given} without {missing}: the text path needs both (give neither for a package without one)")
        if args.no_text and args.clip_checkpoint:
            ap.error("--no-text leaves out the text path: leave out --clip-checkpoint and --projection")
    if args.clip_image_tower and (args.family == CONCEPT_FAMILY or args.no_text
                                  or (not args.random_init and not args.clip_checkpoint)):
        ap.error("--clip-image-tower is for tracker packages with CLIP's text path (--clip-checkpoint and "
                 "--projection, or --random-init)")
    if args.text_tower != "clip" and (args.family == CONCEPT_FAMILY or args.no_text or args.clip_image_tower):
        ap.error(f"--text-tower {args.text_tower} is the text path of a tracker package (not {CONCEPT_FAMILY}, "
                 "--no-text or --clip-image-tower, whose image tower is CLIP's)")
    if args.no_text and args.family == CONCEPT_FAMILY:
        ap.error(f"{CONCEPT_FAMILY} always has its text path: --no-text is for the tracker families")
    if args.family == "sam" and (args.no_text or (not args.random_init and not args.clip_checkpoint)):
        ap.error("family sam (SAM 1) has no interactive path: it needs the text path (--clip-checkpoint and "
                 "--projection, or --random-init)")
    return args


def export(args) -> dict:
    t0 = time.time()
    modules = build_modules(args.family, args.preset, sam_checkpoint=args.sam_checkpoint,
                            clip_checkpoint=args.clip_checkpoint, projection_path=args.projection,
                            random_init=args.random_init, seed=args.seed, no_text=args.no_text,
                            clip_image_tower=args.clip_image_tower, text_tower=args.text_tower)
    print(f"built {args.family} modules in {time.time() - t0:.1f}s", flush=True)
    os.makedirs(args.out, exist_ok=True)
    text_path = args.family == CONCEPT_FAMILY or modules.text_path
    tokenizer = (resolve_tokenizer(os.path.join(args.out, "tokenizer.json"), modules.tokenizer_checkpoint, args.bpe,
                                   framing=modules.dims.get("framing", "clip"))
                 if text_path else None)
    manifest = modules.write(args.out, name=args.name, tokenizer_json_path=tokenizer, precision=args.precision,
                             weights=args.weights, log=lambda m: print(m, flush=True))
    write_export_info(args.out, args)
    print(f"wrote {args.out} ({args.precision}) in {time.time() - t0:.1f}s", flush=True)
    return manifest


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        export(args)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
