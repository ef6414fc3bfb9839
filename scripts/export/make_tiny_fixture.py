#!/usr/bin/env python3
"""Regenerates test/fixtures/sam3-tiny (the tiny random-init SAM3 tracker + CLIP package) and its PyTorch
reference outputs in test/fixtures/sam3-tiny-reference (two synthetic images × three prompts).

  python scripts/export/make_tiny_fixture.py [--out-package DIR] [--out-reference DIR]

The seed is fixed (TINY_SEED); the export is deterministic, so rerunning reproduces the committed files
(test_tiny_package.py checks that the ONNX outputs and masks do).
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sam3clip_export.fixture import REFERENCE_DIR, TINY_PACKAGE_DIR, make_tiny_package, make_tiny_reference  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-package", default=TINY_PACKAGE_DIR)
    ap.add_argument("--out-reference", default=REFERENCE_DIR)
    args = ap.parse_args(argv)
    modules = make_tiny_package(args.out_package)
    index = make_tiny_reference(modules, args.out_package, args.out_reference)
    for case in index["cases"]:
        fg = ", ".join(f"{v:.2f}" for v in case["foreground"])
        iou = ", ".join(f"{v:.4f}" for v in case["iouScores"])
        print(f"{case['image']:12s} {case['prompt']!r:24s} IoU [{iou}] foreground [{fg}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
