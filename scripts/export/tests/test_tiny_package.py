"""The committed tiny package (test/fixtures/sam3-tiny) and its references must be what the export code makes:
regenerate the package into a temp folder and compare ONNX Runtime outputs and final masks with the committed
PyTorch references, and the committed graphs with the regenerated ones."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from sam3clip_export.fixture import IMAGES, PROMPTS, REFERENCE_DIR, TINY_PACKAGE_DIR, make_tiny_package
from sam3clip_export.parity import OrtPackage, compare_on_image, ort_pipeline, torch_pipeline
from sam3clip_export.preprocess import library_rgb, normalize, postprocess
from sam3clip_export.prompts import batch_ids
from sam3clip_export.reference import read_reference, unpack_mask
from sam3clip_export.tokenizer import REPO_ROOT

pytestmark = pytest.mark.skipif(
    not os.path.isfile(os.path.join(REPO_ROOT, "dist", "image", "decode.js")),
    reason="the built library (npm run build:ts) decodes the images and tokenizes the prompts",
)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("pkg") / "sam3-tiny")
    modules = make_tiny_package(out)
    return out, modules


@pytest.fixture(scope="module")
def reference():
    return read_reference(REFERENCE_DIR)


def inputs(package_dir: str, image: str):
    with open(os.path.join(package_dir, "manifest.json")) as f:
        m = json.load(f)
    S = m["image"]["size"]
    original_hw, resized_hw, rgb = library_rgb(os.path.join(REFERENCE_DIR, image), S, m["image"]["resize"])
    pixels = normalize(rgb, S, m["image"]["mean"], m["image"]["std"])
    ids = batch_ids(os.path.join(package_dir, "tokenizer.json"), PROMPTS, m["tokenizer"]["contextLength"],
                    m["tokenizer"]["padId"])
    return S, original_hw, resized_hw, pixels, ids


def test_manifest_matches_committed(regenerated):
    out, _ = regenerated
    with open(os.path.join(out, "manifest.json")) as f:
        new = json.load(f)
    with open(os.path.join(TINY_PACKAGE_DIR, "manifest.json")) as f:
        old = json.load(f)
    assert {k: v for k, v in new.items() if k != "files"} == {k: v for k, v in old.items() if k != "files"}
    assert new["files"]["tokenizer"] == old["files"]["tokenizer"]
    assert list(new["files"]) == list(old["files"]) == ["image_encoder", "text_encoder", "text_projection",
                                                        "prompt_encoder", "mask_decoder", "tokenizer"]
    assert new["dims"]["promptTokens"] == 2 and new["dims"]["highResFeatures"] is True


@pytest.mark.parametrize("image", [name for name, *_ in IMAGES])
def test_interactive_path_matches_pytorch(regenerated, image):
    """The committed prompt_encoder with the mask decoder, on a point, two points, a box and a box with a point."""
    _, modules = regenerated
    r = compare_on_image(modules, OrtPackage(TINY_PACKAGE_DIR), os.path.join(REFERENCE_DIR, image), PROMPTS)
    for name in ("sparse_embeddings", "masks (points)", "iou_scores (points)"):
        assert r["diffs"][name] < 1e-4, name
        if name != "sparse_embeddings":
            assert r["chain_diffs"][name] < 1e-4, name
    assert r["mask_iou_min"] >= 0.99


@pytest.mark.parametrize("image", [name for name, *_ in IMAGES])
def test_outputs_match_reference(regenerated, reference, image):
    out, modules = regenerated
    index, logits = reference
    cases = [c for c in index["cases"] if c["image"] == image]
    assert [c["prompt"] for c in cases] == PROMPTS
    S, original_hw, resized_hw, pixels, ids = inputs(out, image)
    for c, row in zip(cases, ids):
        assert row[: len(c["tokenIds"])].tolist() == c["tokenIds"]
    torch_out = torch_pipeline(modules, pixels, ids)
    for package in (out, TINY_PACKAGE_DIR):  # the regenerated graphs and the committed ones
        onnx_out = ort_pipeline(OrtPackage(package), pixels, ids)
        for b, c in enumerate(cases):
            ref_logits = logits[c["logitsOffset"] // int(np.prod(index["lowresShape"]))]
            np.testing.assert_allclose(torch_out["masks"][b], ref_logits, atol=1e-4)
            np.testing.assert_allclose(onnx_out["masks"][b], ref_logits, atol=1e-4)
            np.testing.assert_allclose(onnx_out["iou_scores"][b], c["iouScores"], atol=1e-5)
            for k in range(len(c["masks"])):
                want = unpack_mask(c["masks"][k], c["height"], c["width"])
                got = postprocess(onnx_out["masks"][b, k], S, resized_hw, original_hw)
                assert got.shape == want.shape
                assert (got == want).mean() >= 0.999, f"{image} {c['prompt']!r} candidate {k}"


def test_references_have_foreground_and_background(reference):
    index, _ = reference
    for c in index["cases"]:
        assert all(0.02 < f < 0.98 for f in c["foreground"]), c
