#!/usr/bin/env python3
"""Regenerates test/fixtures/sam3-suggest-tiny (sam3-tiny plus CLIP's image tower, random init) and its PyTorch
references in test/fixtures/sam3-suggest-tiny-reference.json (two shared photos, the COCO vocabulary's top 10).

  python scripts/export/make_suggest_fixture.py [--out-package DIR] [--out-reference FILE]
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sam3clip_export.suggest_fixture import (SUGGEST_PACKAGE_DIR, SUGGEST_REFERENCE, make_suggest_package,  # noqa: E402
                                             make_suggest_reference)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-package", default=SUGGEST_PACKAGE_DIR)
    ap.add_argument("--out-reference", default=SUGGEST_REFERENCE)
    args = ap.parse_args(argv)
    modules = make_suggest_package(args.out_package)
    reference = make_suggest_reference(modules, args.out_package, args.out_reference)
    for case in reference["cases"]:
        print(case["image"], ", ".join(f"{t['text']} {t['score']:.4f}" for t in case["top"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
