#!/usr/bin/env python3
"""Regenerates test/fixtures/sam3-tracker-tiny (a tiny random-init SAM3 tracker alone: image encoder, prompt
encoder, mask decoder, no text path) and its references in test/fixtures/sam3-tracker-tiny-reference, made by
transformers itself (Sam3TrackerProcessor, Sam3TrackerModel, post_process_masks; the no-memory token on the 1×
level as in the official SAM3) for point and box prompts on the shared photos in ../shared/images.

  python scripts/export/make_tracker_fixture.py [--out-package DIR] [--out-reference DIR] [--checkpoint DIR]

The package is exported from a Sam3TrackerModel checkpoint folder through export_package.py, as a real one is;
--checkpoint keeps that folder (for check_parity.py --sam-checkpoint DIR). The seed is fixed (TRACKER_SEED) and the
export deterministic, so rerunning reproduces the committed files (tests/test_tracker_package.py checks the
manifest, the ONNX chain against the references, and the references against transformers).
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sam3clip_export.tracker_fixture import (  # noqa: E402
    TRACKER_PACKAGE_DIR, TRACKER_REFERENCE_DIR, make_tracker_package, make_tracker_reference,
)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-package", default=TRACKER_PACKAGE_DIR)
    ap.add_argument("--out-reference", default=TRACKER_REFERENCE_DIR)
    ap.add_argument("--checkpoint", help="where to keep the Sam3TrackerModel checkpoint (default: a temporary folder)")
    args = ap.parse_args(argv)
    _, model, processor = make_tracker_package(args.out_package, args.checkpoint)
    index = make_tracker_reference(model, processor, args.out_reference)
    for c in index["cases"]:
        iou = ", ".join(f"{v:.4f}" for v in c["iouScores"])
        fg = ", ".join(f"{k['foreground']:.3f}" for k in c["candidates"])
        print(f"{c['name']:28s} {c['image']:14s} IoU [{iou}] foreground [{fg}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
