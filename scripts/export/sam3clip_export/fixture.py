"""The committed tiny package (the SAM3 tracker with CLIP's text path and the interactive path) and its references:
what they are made of, in one place for the generator and the tests."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

from .export_info import write_export_info
from .pipeline import PackageModules, build_modules
from .reference import compute_reference, write_reference
from .synthetic import write_synthetic_png
from .tokenizer import REPO_ROOT, resolve_tokenizer

TINY_PACKAGE_DIR = os.path.join(REPO_ROOT, "test", "fixtures", "sam3-tiny")
REFERENCE_DIR = os.path.join(REPO_ROOT, "test", "fixtures", "sam3-tiny-reference")
TINY_NAME = "sam3-tiny-random"
TINY_SEED = 0
# Different sizes and aspect ratios: landscape and portrait, neither square nor S×S, so the resize is exercised.
IMAGES = [("landscape-96x64.png", 96, 64, 11), ("portrait-45x80.png", 45, 80, 12)]
PROMPTS = ["a red car", "the cat on the left", "sky"]


def make_tiny_package(out_dir: str, seed: int = TINY_SEED) -> PackageModules:
    modules = build_modules("sam3", "tiny", random_init=True, seed=seed)
    os.makedirs(out_dir, exist_ok=True)
    tokenizer = resolve_tokenizer(os.path.join(out_dir, "tokenizer.json"))
    modules.write(out_dir, name=TINY_NAME, tokenizer_json_path=tokenizer, precision="fp32", log=lambda m: None)
    write_export_info(out_dir, SimpleNamespace(family="sam3", preset="tiny", seed=seed, random_init=True,
                                               precision="fp32"))
    return modules


def reference_images(ref_dir: str) -> list[str]:
    os.makedirs(ref_dir, exist_ok=True)
    return [write_synthetic_png(os.path.join(ref_dir, name), w, h, seed=s) for name, w, h, s in IMAGES]


def make_tiny_reference(modules: PackageModules, package_dir: str, ref_dir: str) -> dict:
    with open(os.path.join(package_dir, "manifest.json")) as f:
        manifest = json.load(f)
    images = reference_images(ref_dir)
    index, logits = compute_reference(modules, manifest, os.path.join(package_dir, "tokenizer.json"), images, PROMPTS)
    fractions = [v for c in index["cases"] for v in c["foreground"]]
    if min(fractions) < 0.02 or max(fractions) > 0.98:
        raise AssertionError(f"reference masks are (nearly) all one value: foreground {fractions}")
    write_reference(ref_dir, index, logits)
    return index
