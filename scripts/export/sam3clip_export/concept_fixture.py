"""The committed tiny sam3-concept package and its transformers references: what they are made of, in one place for
the generator (make_concept_fixture.py) and the tests."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

from .concept_reference import THRESHOLD, compute_concept_reference, write_concept_reference
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
    about = ("transformers Sam3Model + Sam3Processor outputs of the tiny random-init sam3-concept package "
             "(scripts/export/make_concept_fixture.py)")
    return compute_concept_reference(modules.model, processor, image_paths(), PROMPTS, about)


def check_reference(index: dict) -> None:
    """The reference must test something: scores on both sides of the thresholds, prompts that differ, masks with
    foreground and background, and no score within THRESHOLD_MARGIN of a threshold."""
    from .concept_reference import rle_decode

    all_scores = [s for c in index["cases"] for s in c["scores"]]
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
    fractions = [float(rle_decode(i["mask"]).mean()) for c in index["cases"] for i in c["instances"]]
    if not fractions or min(fractions) < 0.02 or max(fractions) > 0.98:
        raise AssertionError(f"instance masks are (nearly) all one value: foreground {fractions}")


def make_concept_reference(modules: ConceptModules, package_dir: str, ref_dir: str) -> dict:
    index = concept_reference(modules, package_dir)
    check_reference(index)
    write_concept_reference(ref_dir, index)
    return index
