"""The committed tiny tracker-only package (test/fixtures/sam3-tracker-tiny) and its transformers references must be
what the export code and transformers make: regenerate the package through export_package's command line into a
temp folder, compare its manifest (the graphs' SHA-256s included) with the committed one, run the ONNX chain (image
encoder → prompt encoder with the library's token rule → mask decoder) on the references' photos and prompts, and
recompute the references with transformers."""

from __future__ import annotations

import copy
import json
import os

import numpy as np
import pytest
import torch

import export_package
from sam3clip_export.concept_reference import load_photo, rle_decode
from sam3clip_export.interactive_prompts import prompt_tokens
from sam3clip_export.parity import OrtPackage, mask_at_original
from sam3clip_export.preprocess import mask_iou
from sam3clip_export.tracker_fixture import (
    CASES, SHARED_IMAGES, TRACKER_PACKAGE_DIR, TRACKER_REFERENCE_DIR, check_reference, make_tracker_package,
    tracker_reference,
)
from sam3clip_export.tracker_reference import processor_inputs, read_tracker_reference, tracker_outputs

pytestmark = pytest.mark.skipif(not os.path.isdir(SHARED_IMAGES),
                                reason=f"the shared test photos ({SHARED_IMAGES}) are not here")


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("pkg") / "sam3-tracker-tiny")
    manifest, model, processor = make_tracker_package(out)
    return out, manifest, model, processor


@pytest.fixture(scope="module")
def reference():
    return read_tracker_reference(TRACKER_REFERENCE_DIR)


def read_manifest(package_dir: str) -> dict:
    with open(os.path.join(package_dir, "manifest.json")) as f:
        return json.load(f)


def test_manifest_matches_committed(regenerated):
    out, manifest, _, _ = regenerated
    committed = read_manifest(TRACKER_PACKAGE_DIR)
    assert manifest == read_manifest(out)
    # The graphs' bytes are compared by their outputs (below), not their hashes: constant folding may round
    # differently on another machine.
    unhashed = lambda m: {**m, "files": {k: f["path"] for k, f in m["files"].items()}}  # noqa: E731
    assert unhashed(manifest) == unhashed(committed)
    assert list(manifest["files"]) == ["image_encoder", "prompt_encoder", "mask_decoder"]
    assert "tokenizer" not in manifest
    assert manifest["dims"] == {"embeddingChannels": 256, "embeddingSize": [16, 16], "highResFeatures": True,
                                "promptEmbedding": 256}
    assert manifest["weights"] == "fp16"
    assert sorted(os.listdir(out)) == ["image_encoder.onnx", "manifest.json", "mask_decoder.onnx",
                                       "prompt_encoder.onnx"]


def onnx_candidates(pkg: OrtPackage, processor, case: dict):
    """(predicted IoUs [3], masks at the original size [3,H,W]) through the package's graphs as the library runs
    them: its own token list and rescale, the image once through the encoder."""
    photo = load_photo(os.path.join(SHARED_IMAGES, case["image"]))
    W, H = photo.size
    S = pkg.manifest["image"]["size"]
    pixels = processor_inputs(processor, photo, {})["pixel_values"].numpy()
    names = pkg.output_names("image_encoder")
    feed = dict(zip(names, pkg.run("image_encoder", {"pixel_values": pixels})))
    points, labels = prompt_tokens(case["prompt"], (H, W), (S, S))
    feed["prompt_embeds"] = pkg.run("prompt_encoder", {"input_points": points[None], "input_labels": labels[None]})[0]
    masks, iou = pkg.run("mask_decoder", feed)
    return iou[0], [mask_at_original(m, (H, W)) for m in masks[0]]


@pytest.mark.parametrize("name", [c["name"] for c in CASES])
def test_library_tokens_are_the_stored_prompt_tokens(reference, name):
    """The token rule and rescale (interactive_prompts.prompt_tokens) give, bit for bit, the stored promptTokens
    (made from Sam3TrackerProcessor's own rescaled coordinates)."""
    case = next(c for c in reference["cases"] if c["name"] == name)
    points, labels = prompt_tokens(case["prompt"], (case["height"], case["width"]), (224, 224))
    np.testing.assert_array_equal(points, np.asarray(case["promptTokens"]["points"], dtype=np.float32))
    assert labels.tolist() == case["promptTokens"]["labels"]


@pytest.mark.parametrize("name", [c["name"] for c in CASES])
def test_onnx_chain_matches_transformers_reference(regenerated, reference, name):
    out, _, _, processor = regenerated
    case = next(c for c in reference["cases"] if c["name"] == name)
    for package in (out, TRACKER_PACKAGE_DIR):  # the regenerated graphs and the committed ones
        iou, masks = onnx_candidates(OrtPackage(package), processor, case)
        np.testing.assert_allclose(iou, case["iouScores"], atol=1e-4)
        for k, (got, want) in enumerate(zip(masks, case["candidates"])):
            expected = rle_decode(want["rle"])
            assert got.shape == expected.shape == (case["height"], case["width"])
            assert mask_iou(got, expected) >= 0.99, f"{name} candidate {k}"


def test_references_are_what_transformers_gives(regenerated, reference):
    _, _, model, processor = regenerated
    again = tracker_reference(model, processor)
    assert [c["name"] for c in again["cases"]] == [c["name"] for c in reference["cases"]]
    assert {k: v for k, v in again.items() if k not in ("cases", "transformers")} == \
        {k: v for k, v in reference.items() if k not in ("cases", "transformers")}
    for a, b in zip(again["cases"], reference["cases"]):
        assert {k: a[k] for k in ("image", "width", "height", "prompt")} == {k: b[k] for k in ("image", "width",
                                                                                               "height", "prompt")}
        np.testing.assert_allclose(a["iouScores"], b["iouScores"], atol=1e-5)
        for x, y in zip(a["candidates"], b["candidates"]):
            assert mask_iou(rle_decode(x["rle"]), rle_decode(y["rle"])) >= 0.999


def test_reference_is_worth_testing_against(reference):
    check_reference(reference)
    for case in reference["cases"]:
        assert len(case["iouScores"]) == len(case["candidates"]) == 3
        for c in case["candidates"]:
            assert c["foreground"] == pytest.approx(float(rle_decode(c["rle"]).mean()))


def test_no_memory_rule_matters_only_when_the_token_is_not_zero(regenerated):
    """transformers' Sam3TrackerModel.forward adds the no-memory token to the dropped 0.5× level; the references add
    it to the 1× level (tracker_reference.official_image_embeddings). With the fixture's non-zero token the two
    differ; with a zero token they are the same computation."""
    _, _, model, processor = regenerated
    photo = load_photo(os.path.join(SHARED_IMAGES, "chelsea.png"))
    prompt = CASES[1]["prompt"]
    assert len(model.config.vision_config.scale_factors) == 4 and len(model.backbone_feature_sizes) == 3
    _, official = tracker_outputs(model, processor, photo, prompt)
    _, forward = tracker_outputs(model, processor, photo, prompt, official=False)
    assert (official.pred_masks - forward.pred_masks).abs().max() > 0.5
    assert ((official.pred_masks > 0) != (forward.pred_masks > 0)).float().mean() > 0.01
    zeroed = copy.deepcopy(model)
    with torch.no_grad():
        zeroed.no_memory_embedding.zero_()
    _, official = tracker_outputs(zeroed, processor, photo, prompt)
    _, forward = tracker_outputs(zeroed, processor, photo, prompt, official=False)
    torch.testing.assert_close(official.pred_masks, forward.pred_masks, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(official.iou_scores, forward.iou_scores, atol=1e-6, rtol=1e-5)


def test_command_line_text_path_is_both_or_neither(capsys):
    base = ["--family", "sam3", "--out", "/tmp/unused", "--name", "x", "--sam-checkpoint", "ckpt"]
    args = export_package.parse_args(base)
    assert args.clip_checkpoint is None and args.projection is None  # tracker only
    assert export_package.parse_args(base + ["--clip-checkpoint", "c", "--projection", "p"]).projection == "p"
    for extra, message in ((["--clip-checkpoint", "c"], "--clip-checkpoint without --projection"),
                           (["--projection", "p"], "--projection without --clip-checkpoint")):
        with pytest.raises(SystemExit):
            export_package.parse_args(base + extra)
        assert message in capsys.readouterr().err
    random = ["--family", "sam3", "--out", "/tmp/unused", "--name", "x", "--random-init"]
    assert export_package.parse_args(random + ["--no-text"]).no_text
    with pytest.raises(SystemExit):
        export_package.parse_args(["--family", "sam", "--out", "/tmp/unused", "--name", "x", "--random-init",
                                   "--no-text"])
    assert "no interactive path" in capsys.readouterr().err
