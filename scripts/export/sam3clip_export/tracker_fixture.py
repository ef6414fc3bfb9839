"""The committed tiny tracker-only package (test/fixtures/sam3-tracker-tiny: image encoder, prompt encoder, mask
decoder, no text path) and its transformers references (test/fixtures/sam3-tracker-tiny-reference): what they are
made of, in one place for the generator (make_tracker_fixture.py) and the tests.

The package is exported the way a real one is: a Sam3TrackerModel checkpoint folder (save_pretrained, with its
Sam3TrackerProcessor) through export_package's command line, so the checkpoint loading and the tracker-only
manifest are what a user gets from ``--family sam3 --sam-checkpoint DIR``. The checkpoint is written to a temporary
folder (or --checkpoint) and not committed: tracker_test_model(seed) rebuilds its weights.
"""

from __future__ import annotations

import os
import tempfile

import torch

from .concept_fixture import SHARED_IMAGES
from .sam3_tracker import SAM3_PRESETS, build_sam3_tracker
from .tokenizer import REPO_ROOT
from .tracker_init import init_tracker_test_weights
from .tracker_reference import compute_tracker_reference, write_tracker_reference

TRACKER_PACKAGE_DIR = os.path.join(REPO_ROOT, "test", "fixtures", "sam3-tracker-tiny")
TRACKER_REFERENCE_DIR = os.path.join(REPO_ROOT, "test", "fixtures", "sam3-tracker-tiny-reference")
TRACKER_NAME = "sam3-tracker-tiny-random"
TRACKER_PRESET = "tiny-tracker"
TRACKER_SEED = 0
# Shared test photos (not copied into the repo; the references name them). Prompts in original-image pixels, one
# of each kind the library takes; chelsea (451×300) and coffee (600×400) are not square, so the rescale to the
# S×S frame differs in x and y.
CASES = [
    {"name": "astronaut-point", "image": "astronaut.png", "prompt": {"points": [[225, 115]], "labels": [1]}},
    {"name": "chelsea-positive-negative", "image": "chelsea.png",
     "prompt": {"points": [[170, 115], [420, 60]], "labels": [1, 0]}},
    {"name": "coffee-box", "image": "coffee.png", "prompt": {"box": [172, 18, 410, 285]}},
    {"name": "chelsea-box-point", "image": "chelsea.png",
     "prompt": {"points": [[262, 245]], "labels": [1], "box": [110, 60, 360, 290]}},
]
# A reference worth testing against: most candidate masks neither (nearly) empty nor full, and each case's three
# predicted IoUs apart, so that choosing the candidate with the highest one means something.
FOREGROUND_RANGE = (0.02, 0.98)
MIN_IOU_GAP = 0.01
MAX_CANDIDATE_OVERLAP = 0.95


def tracker_test_model(seed: int = TRACKER_SEED):
    """A Sam3TrackerModel of the tiny-tracker preset with test weights drawn from the seed (tracker_init.py: a
    non-zero no-memory token among them), every weight representable in float16."""
    model = build_sam3_tracker(TRACKER_PRESET, random_init=True, seed=seed)
    init_tracker_test_weights(model, seed + 1)
    round_weights_to_fp16(model)
    return model


def round_weights_to_fp16(model) -> None:
    """Rounds every floating-point weight and buffer to the nearest float16 value (kept as float32).

    The package stores its weights as float16 (``--weights fp16``: half the bytes on disk, still computed in
    float32), which rounds them; with weights float16 holds exactly that storage loses nothing, so the graphs
    compute what the checkpoint computes and the references can be held to float32 tolerances.
    """
    with torch.no_grad():
        for tensor in list(model.parameters()) + list(model.buffers()):
            if tensor.is_floating_point():
                tensor.copy_(tensor.half().float())


def tracker_processor():
    """Sam3TrackerProcessor for the preset's input size (facebook/sam3's mean and std): points and boxes are
    rescaled to this S×S frame."""
    from transformers import Sam3ImageProcessor, Sam3TrackerProcessor

    p = SAM3_PRESETS[TRACKER_PRESET]
    S, m = p.image_size, p.mask_size
    images = Sam3ImageProcessor(size={"height": S, "width": S}, mask_size={"height": m, "width": m},
                                image_mean=[0.5] * 3, image_std=[0.5] * 3)
    return Sam3TrackerProcessor(image_processor=images)


def save_tracker_checkpoint(folder: str, seed: int = TRACKER_SEED) -> str:
    """A checkpoint folder as facebook/sam3's tracker is published: config, safetensors and processor config."""
    tracker_test_model(seed).save_pretrained(folder)
    tracker_processor().save_pretrained(folder)
    return folder


def export_tracker_package(checkpoint: str, out_dir: str) -> dict:
    """export_package's command line on the checkpoint: tracker only (no CLIP, no projection), weights float16."""
    import export_package  # scripts/export/export_package.py; that folder is on sys.path for its scripts and tests

    args = export_package.parse_args(["--family", "sam3", "--sam-checkpoint", checkpoint, "--weights", "fp16",
                                      "--out", out_dir, "--name", TRACKER_NAME])
    manifest = export_package.export(args)
    # export-info.json would name the temporary checkpoint folder; check_parity needs --sam-checkpoint instead.
    os.remove(os.path.join(out_dir, "export-info.json"))
    return manifest


def make_tracker_package(out_dir: str, checkpoint: str | None = None, seed: int = TRACKER_SEED):
    """Exports the package into out_dir; returns (manifest, the model and processor loaded back from the
    checkpoint, which the references are computed with)."""
    from transformers import Sam3TrackerModel, Sam3TrackerProcessor

    with tempfile.TemporaryDirectory(prefix="sam3-tracker-checkpoint-") as tmp:
        folder = save_tracker_checkpoint(checkpoint or tmp, seed)
        manifest = export_tracker_package(folder, out_dir)
        model = Sam3TrackerModel.from_pretrained(folder).eval().float()
        processor = Sam3TrackerProcessor.from_pretrained(folder)
    return manifest, model, processor


def tracker_reference(model, processor) -> dict:
    import transformers

    about = ("transformers Sam3TrackerProcessor + Sam3TrackerModel (multimask_output=True) + post_process_masks "
             "outputs of the tiny random-init tracker-only package (scripts/export/make_tracker_fixture.py), on "
             "the shared photos (../shared/images)")
    index = compute_tracker_reference(model, processor, SHARED_IMAGES, CASES, about)
    return {"package": TRACKER_NAME, "transformers": transformers.__version__, **index}


def check_reference(index: dict) -> None:
    """The reference must test something: masks with foreground and background, candidates that differ, IoUs that
    rank them."""
    from .concept_reference import rle_decode
    from .preprocess import mask_iou

    fractions = [c["foreground"] for case in index["cases"] for c in case["candidates"]]
    lo, hi = FOREGROUND_RANGE
    inside = sum(lo < f < hi for f in fractions)
    if inside < 0.75 * len(fractions):
        raise AssertionError(f"only {inside} of {len(fractions)} candidate masks have foreground in {FOREGROUND_RANGE}:"
                             f" {fractions}")
    for case in index["cases"]:
        ious = sorted(case["iouScores"])
        if min(b - a for a, b in zip(ious, ious[1:])) < MIN_IOU_GAP:
            raise AssertionError(f"{case['name']}: predicted IoUs {case['iouScores']} too close to rank")
        masks = [rle_decode(c["rle"]) for c in case["candidates"]]
        if any(mask_iou(a, b) > MAX_CANDIDATE_OVERLAP for i, a in enumerate(masks) for b in masks[i + 1:]):
            raise AssertionError(f"{case['name']}: two candidates are (nearly) the same mask")


def make_tracker_reference(model, processor, ref_dir: str) -> dict:
    index = tracker_reference(model, processor)
    check_reference(index)
    write_tracker_reference(ref_dir, index)
    return index
