#!/usr/bin/env python3
"""Regenerates test/fixtures/sam3-chinese-tiny (the tiny random-init SAM3 tracker + Chinese-CLIP text tower) and its
references in test/fixtures/sam3-chinese-tiny-reference: transformers' token ids and attention masks of Chinese,
English and mixed prompts (tokens.json) and the PyTorch outputs on two synthetic images (reference.json).

  python scripts/export/make_chinese_fixture.py [--out-package DIR] [--out-reference DIR]

Deterministic (fixed seed); test_chinese_package.py checks that rerunning reproduces the committed files.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sam3clip_export.chinese_fixture import (CHINESE_PACKAGE_DIR, CHINESE_REFERENCE_DIR,  # noqa: E402
                                             make_chinese_package, make_chinese_reference)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-package", default=CHINESE_PACKAGE_DIR)
    ap.add_argument("--out-reference", default=CHINESE_REFERENCE_DIR)
    args = ap.parse_args(argv)
    modules = make_chinese_package(args.out_package)
    index = make_chinese_reference(modules, args.out_package, args.out_reference)
    for case in index["cases"]:
        fg = ", ".join(f"{v:.2f}" for v in case["foreground"])
        iou = ", ".join(f"{v:.4f}" for v in case["iouScores"])
        print(f"{case['image']:22s} {case['prompt']!r:16s} IoU [{iou}] foreground [{fg}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
