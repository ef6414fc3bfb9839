#!/usr/bin/env python3
"""Regenerates test/fixtures/sam3-concept-tiny (the tiny random-init sam3-concept package: transformers Sam3Model
with test weights, sam3clip_export/concept_init.py, and a Sam3TrackerModel on its ViT, concept_tracker.py) and its
references in test/fixtures/sam3-concept-tiny-reference, made by transformers itself on the shared photos in
../shared/images: Sam3Processor + Sam3Model + post_process_instance_segmentation for every photo × three text
prompts and for two text + box-exemplar prompts, Sam3TrackerProcessor + Sam3TrackerModel + post_process_masks for
three point / box + point prompts (sam3clip_export/concept_fixture.py lists them).

  python scripts/export/make_concept_fixture.py [--out-package DIR] [--out-reference DIR]

The seed is fixed (CONCEPT_SEED) and the export deterministic, so rerunning reproduces the committed files
(tests/test_concept_package.py checks the manifest, the ONNX outputs and the references).
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sam3clip_export.concept_fixture import (  # noqa: E402
    CONCEPT_PACKAGE_DIR, CONCEPT_REFERENCE_DIR, make_concept_package, make_concept_reference,
)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-package", default=CONCEPT_PACKAGE_DIR)
    ap.add_argument("--out-reference", default=CONCEPT_REFERENCE_DIR)
    args = ap.parse_args(argv)
    modules = make_concept_package(args.out_package)
    index = make_concept_reference(modules, args.out_package, args.out_reference)
    for c in index["cases"] + index["boxCases"]:
        above = sum(s > 0.5 for s in c["scores"])
        prompt = c["prompt"]
        if isinstance(prompt, dict):
            prompt = f"{prompt['text']} + boxes {prompt['labels']}"
        print(f"{c['image']:32s} {prompt!r:30s} presence {c['presence']:.3f}  instances > 0.3: "
              f"{len(c['instances']):2d}  > 0.5: {above:2d}")
    for c in index["trackerCases"]:
        fg = ", ".join(f"{k['foreground']:.2f}" for k in c["candidates"])
        print(f"{c['image']:32s} tracker {c['prompt']['labels']} box {c['prompt']['box'] is not None}  "
              f"IoUs {', '.join(f'{v:.3f}' for v in c['iouScores'])}  foreground {fg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
