"""The committed tiny sam3-concept package and its transformers references (text prompts, text + box exemplars,
the tracker's point and box + point prompts): what they are made of, in one place for the generator
(make_concept_fixture.py) and the tests."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

from .concept_reference import THRESHOLD, box_reference, compute_concept_reference, write_concept_reference
from .concept_tracker_reference import tracker_processor, tracker_reference
from .export_info import write_export_info
from .pipeline import CONCEPT_FAMILY, build_modules
from .sam3_concept import SCORE_THRESHOLD, ConceptModules
from .tokenizer import REPO_ROOT, resolve_tokenizer

CONCEPT_PACKAGE_DIR = os.path.join(REPO_ROOT, "test", "fixtures", "sam3-concept-tiny")
CONCEPT_REFERENCE_DIR = os.path.join(REPO_ROOT, "test", "fixtures", "sam3-concept-tiny-reference")
CONCEPT_NAME = "sam3-concept-tiny-random"
CONCEPT_SEED = 0
# Shared test photos (not copied into the repo; the references name them). The EXIF-rotated JPEG is chelsea.png
# stored sideways: decoded with its orientation it must give chelsea's results.
SHARED_IMAGES = os.path.join(os.path.dirname(REPO_ROOT), "shared", "images")
IMAGES = ["chelsea.png", "coffee.png", "astronaut.png", "chelsea-exif-orientation-6.jpg"]
PROMPTS = ["a cat", "a cup of coffee", "a person"]
# Text + box exemplars (xyxy, original pixels; label 1 positive, 0 negative): the cat's face; the cup, and the spoon
# as a negative. Each pairs with a text case of the same image and text, so the boxes' effect shows.
BOX_CASES = [
    ("chelsea.png", "a cat", [[30.0, 10.0, 380.0, 290.0]], [1]),
    ("coffee.png", "a cup of coffee", [[170.0, 15.0, 410.0, 300.0], [320.0, 70.0, 425.0, 330.0]], [1, 0]),
]
# The tracker's prompts (original pixels): a point on the cat's nose; the astronaut's face with her helmet as a
# negative point; the cup's box with a point inside it.
TRACKER_CASES = [
    ("chelsea.png", [[260.0, 240.0]], [1], None),
    ("astronaut.png", [[225.0, 130.0], [400.0, 420.0]], [1, 0], None),
    ("coffee.png", [[290.0, 140.0]], [1], [170.0, 15.0, 410.0, 300.0]),
]
# A score this close to a threshold could land on either side under float rounding (ONNX Runtime, another
# backend); the generator refuses such a fixture rather than commit a flaky reference.
THRESHOLD_MARGIN = 1e-4


def image_paths() -> list[str]:
    return [os.path.join(SHARED_IMAGES, name) for name in IMAGES]


def make_concept_package(out_dir: str, seed: int = CONCEPT_SEED, precision: str = "fp32") -> ConceptModules:
    modules = build_modules(CONCEPT_FAMILY, "tiny", random_init=True, seed=seed)
    os.makedirs(out_dir, exist_ok=True)
    tokenizer = resolve_tokenizer(os.path.join(out_dir, "tokenizer.json"))
    modules.write(out_dir, name=CONCEPT_NAME, tokenizer_json_path=tokenizer, precision=precision,
                  log=lambda m: None)
    write_export_info(out_dir, SimpleNamespace(family=CONCEPT_FAMILY, preset="tiny", seed=seed, random_init=True,
                                               precision=precision))
    return modules


def concept_reference(modules: ConceptModules, package_dir: str) -> dict:
    from .concept_reference import concept_processor

    with open(os.path.join(package_dir, "manifest.json")) as f:
        manifest = json.load(f)
    processor = concept_processor(package_dir, manifest)
    about = ("transformers Sam3Model + Sam3Processor (cases, boxCases) and Sam3TrackerModel + Sam3TrackerProcessor "
             "(trackerCases) outputs of the tiny random-init sam3-concept package "
             "(scripts/export/make_concept_fixture.py)")
    index = compute_concept_reference(modules.model, processor, image_paths(), PROMPTS, about)
    index.update(box_reference(modules.model, processor, [(shared(i), *rest) for i, *rest in BOX_CASES]))
    index.update(tracker_reference(modules.tracker, tracker_processor(manifest),
                                   [(shared(i), *rest) for i, *rest in TRACKER_CASES]))
    return index


def shared(name: str) -> str:
    return os.path.join(SHARED_IMAGES, name)


def check_reference(index: dict) -> None:
    """The reference must test something: scores on both sides of the thresholds, prompts that differ, masks with
    foreground and background, and no score within THRESHOLD_MARGIN of a threshold; boxes that change the
    detector's answer; tracker candidates that differ, with IoUs that spread."""
    from .concept_reference import rle_decode

    all_scores = [s for c in index["cases"] + index["boxCases"] for s in c["scores"]]
    for t in (THRESHOLD, SCORE_THRESHOLD):
        close = [s for s in all_scores if abs(s - t) < THRESHOLD_MARGIN]
        if close:
            raise AssertionError(f"scores {close} are within {THRESHOLD_MARGIN} of the threshold {t}")
    above = sum(s > SCORE_THRESHOLD for s in all_scores)
    if not 0.1 * len(all_scores) < above < 0.9 * len(all_scores):
        raise AssertionError(f"{above} of {len(all_scores)} scores above {SCORE_THRESHOLD}")
    for key, other in (("image", "prompt"), ("prompt", "image")):  # scores change with the prompt and the image
        groups: dict[str, list[tuple]] = {}
        for c in index["cases"]:
            groups.setdefault(c[key], []).append(tuple(round(s, 3) for s in c["scores"]))
        if any(len(set(g)) < len(g) - (other == "image") for g in groups.values()):  # chelsea's EXIF twin may match
            raise AssertionError(f"two {other}s give the same scores")
    text_only = {(c["image"], c["prompt"]): c["scores"] for c in index["cases"]}
    for c in index["boxCases"]:
        change = max(abs(a - b) for a, b in zip(c["scores"], text_only[c["image"], c["prompt"]["text"]]))
        if change < 0.05:
            raise AssertionError(f"{c['image']}: the boxes move no score by more than {change}")
    fractions = [float(rle_decode(i["mask"]).mean()) for c in index["cases"] + index["boxCases"]
                 for i in c["instances"]]
    fractions += [k["foreground"] for c in index["trackerCases"] for k in c["candidates"]]
    if not fractions or min(fractions) < 0.02 or max(fractions) > 0.98:
        raise AssertionError(f"masks are (nearly) all one value: foreground {fractions}")
    for c in index["trackerCases"]:
        if max(c["iouScores"]) - min(c["iouScores"]) < 0.05:
            raise AssertionError(f"{c['image']}: the candidates' IoUs {c['iouScores']} barely differ")
        masks = [rle_decode(k["rle"]) for k in c["candidates"]]
        if min((a != b).mean() for i, a in enumerate(masks) for b in masks[i + 1:]) < 0.01:
            raise AssertionError(f"{c['image']}: two tracker candidates are (nearly) the same mask")


def make_concept_reference(modules: ConceptModules, package_dir: str, ref_dir: str) -> dict:
    index = concept_reference(modules, package_dir)
    check_reference(index)
    write_concept_reference(ref_dir, index)
    return index
