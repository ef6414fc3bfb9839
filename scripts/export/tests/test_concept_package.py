"""The committed tiny sam3-concept package (test/fixtures/sam3-concept-tiny) and its transformers references
(test/fixtures/sam3-concept-tiny-reference): regenerate the package into a temp folder and check that

- its manifest is the committed one (hashes apart),
- the wrappers are Sam3Model.forward, and ONNX Runtime's chain (image_encoder → text_encoder → detector, the
  regenerated graphs and the committed ones) matches PyTorch on inputs unlike the tracing inputs: photos, real
  prompts, batches of 1 and 3, prompts of different lengths,
- the committed references are what transformers gives now (so a transformers change shows up here),
- the library's decoding, resize and tokenization equal Sam3Processor's,
- exporting from a checkpoint folder (save_pretrained) gives the same package, and fp16 exports load.

Needs the built library (npm run build:ts, done by npm test before these run in CI) and ../shared/images.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from sam3clip_export.concept_fixture import (
    CONCEPT_PACKAGE_DIR, CONCEPT_REFERENCE_DIR, IMAGES, PROMPTS, SHARED_IMAGES, check_reference, concept_reference,
    image_paths, make_concept_package,
)
from sam3clip_export.concept_parity import DETECTOR_OUTPUTS, compare_concept, library_inputs, ort_concept, scores
from sam3clip_export.concept_reference import (
    concept_processor, load_photo, read_concept_reference, rle_decode, rle_encode, transformers_outputs,
)
from sam3clip_export.parity import OrtPackage
from sam3clip_export.sam3_concept import image_settings

# Inputs unlike the tracing inputs (seeded noise, two prompts of 3 and 6 tokens): photos, a batch of 3 and of 1,
# and a prompt much longer than the others.
PARITY_CASES = [
    ("chelsea.png", PROMPTS),
    ("astronaut.png", ["a person"]),
    ("coffee.png", ["a cat", "the small white cup of coffee on a saucer next to a spoon", "sky"]),
]
ABS_TOL = 1e-4  # logits, boxes, presence
MASK_REL_TOL = 1e-3  # mask logits: max |diff| over their largest magnitude


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("concept") / "sam3-concept-tiny")
    return out, make_concept_package(out)


def read_manifest(folder: str) -> dict:
    with open(os.path.join(folder, "manifest.json")) as f:
        return json.load(f)


def test_manifest_matches_committed(regenerated):
    out, _ = regenerated
    new, old = read_manifest(out), read_manifest(CONCEPT_PACKAGE_DIR)
    assert {k: v for k, v in new.items() if k != "files"} == {k: v for k, v in old.items() if k != "files"}
    assert {k: v["path"] for k, v in new["files"].items()} == {k: v["path"] for k, v in old["files"].items()}
    assert new["files"]["tokenizer"] == old["files"]["tokenizer"]
    assert old["family"] == "sam3-concept" and old["tokenizer"]["attentionMask"] is True
    from sam3clip_export.package_writer import sha256_file

    for key, f in old["files"].items():  # the committed files are the ones the committed manifest names
        assert sha256_file(os.path.join(CONCEPT_PACKAGE_DIR, f["path"])) == f["sha256"], key


def test_wrappers_are_sam3model_forward(regenerated):
    out, modules = regenerated
    processor = concept_processor(out, read_manifest(out))
    _, inputs, want = transformers_outputs(modules.model, processor, os.path.join(SHARED_IMAGES, "coffee.png"), PROMPTS)
    with torch.no_grad():
        feats = modules.image_encoder(inputs["pixel_values"][:1])
        text = modules.text_encoder(inputs["input_ids"], inputs["attention_mask"])
        got = modules.detector(*feats, text, inputs["attention_mask"])
    # Equal up to float rounding: transformers ran the ViT on the image three times over (a batch of 3), which
    # rounds a little differently from one image.
    for name, g in zip(DETECTOR_OUTPUTS, got):
        torch.testing.assert_close(g, getattr(want, name), atol=1e-4, rtol=1e-5, msg=name)


@pytest.mark.parametrize("image,prompts", PARITY_CASES, ids=[c[0] for c in PARITY_CASES])
def test_onnx_runtime_matches_pytorch_on_new_inputs(regenerated, image, prompts):
    out, modules = regenerated
    for package in (out, CONCEPT_PACKAGE_DIR):
        r = compare_concept(modules, OrtPackage(package), os.path.join(SHARED_IMAGES, image), prompts)
        for name, (d, rel) in list(r["diffs"].items()) + [(k + " (chain)", v) for k, v in r["chain_diffs"].items()]:
            if name.startswith("pred_masks"):
                assert rel < MASK_REL_TOL, f"{package} {name}: max |diff| {d} = {rel:.2e} of the largest logit"
            elif name.startswith(("pred_logits", "pred_boxes", "presence_logits")):
                assert d < ABS_TOL, f"{package} {name}: max |diff| {d}"
            else:  # the image and text features, relative to their scale
                assert rel < 1e-4, f"{package} {name}: max |diff| {d} = {rel:.2e} of the largest value"
        assert r["same_kept"] and r["mask_iou_min"] > 0.999, r


def test_a_trace_without_padding_still_reads_the_attention_mask(regenerated, tmp_path, monkeypatch):
    """The known trap: transformers skips the attention mask when it sees no padding; should it not notice the trace
    (monkeypatched here), an unpadded tracing batch would freeze that skip into the graph. materialized_masks keeps
    the detector exact on padded prompts anyway."""
    import transformers.masking_utils as masking

    from sam3clip_export.package_writer import export_graph

    out, modules = regenerated
    spec = next(g for g in modules.graph_specs() if g.key == "detector")
    *feats, text, mask = spec.args
    monkeypatch.setattr(masking, "is_tracing", lambda *a, **k: False)
    path = str(tmp_path / "detector.onnx")
    export_graph(spec.module, (*feats, text, torch.ones_like(mask)), path, spec.inputs, spec.outputs, spec.dynamic)
    import onnxruntime as ort

    padded = torch.zeros(3, mask.shape[1], dtype=torch.int64)
    for b, n in enumerate((2, 5, 9)):
        padded[b, :n] = 1
    text3 = torch.randn(3, *text.shape[1:], generator=torch.Generator().manual_seed(5))
    got = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
        None, dict(zip(spec.inputs, [t.numpy() for t in (*feats, text3, padded)])))
    with torch.no_grad():
        want = spec.module(*feats, text3, padded)
    for name, g, w in zip(DETECTOR_OUTPUTS, got, want):
        assert np.abs(g - w.numpy()).max() < 1e-3 * np.abs(w.numpy()).max(), name


def test_committed_references_are_what_transformers_gives_now(regenerated):
    out, modules = regenerated
    committed = read_concept_reference(CONCEPT_REFERENCE_DIR)
    check_reference(committed)
    now = concept_reference(modules, out)
    assert [(c["image"], c["prompt"]) for c in committed["cases"]] == [(i, p) for i in IMAGES for p in PROMPTS]
    assert len(now["cases"]) == len(committed["cases"])
    for want, got in zip(committed["cases"], now["cases"]):
        where = f"{want['image']} {want['prompt']!r}"
        assert (got["width"], got["height"], got["tokenIds"]) == (want["width"], want["height"], want["tokenIds"]), where
        np.testing.assert_allclose(got["presence"], want["presence"], atol=1e-5, err_msg=where)
        np.testing.assert_allclose(got["scores"], want["scores"], atol=1e-5, err_msg=where)
        assert [i["query"] for i in got["instances"]] == [i["query"] for i in want["instances"]], where
        for g, w in zip(got["instances"], want["instances"]):
            np.testing.assert_allclose(g["box"], w["box"], atol=1e-3, err_msg=where)
            agree = (rle_decode(g["mask"]) == rle_decode(w["mask"])).mean()
            assert agree > 0.999, f"{where} query {w['query']}: masks agree on {agree:.5f}"


def test_references_follow_the_exif_orientation():
    """chelsea-exif-orientation-6.jpg is chelsea.png stored sideways (and JPEG-compressed)."""
    cases = read_concept_reference(CONCEPT_REFERENCE_DIR)["cases"]
    png = [c for c in cases if c["image"] == "chelsea.png"]
    jpg = [c for c in cases if c["image"] == "chelsea-exif-orientation-6.jpg"]
    for a, b in zip(png, jpg):
        assert (a["width"], a["height"]) == (b["width"], b["height"])
        np.testing.assert_allclose(a["scores"], b["scores"], atol=0.02)


def test_library_preprocessing_and_tokens_equal_sam3processor(regenerated):
    out, _ = regenerated
    manifest = read_manifest(out)
    processor = concept_processor(out, manifest)
    for path in image_paths():
        original_hw, pixels, ids, mask = library_inputs(manifest, out, path, PROMPTS)
        photo = load_photo(path)
        want = processor(images=[photo], text=PROMPTS, return_tensors="pt")
        assert original_hw == (photo.height, photo.width)
        # One level of the resize is 2/255 after normalization; this allows only float rounding.
        np.testing.assert_allclose(pixels, want["pixel_values"].numpy(), rtol=0, atol=1e-6, err_msg=path)
    np.testing.assert_array_equal(ids, want["input_ids"].numpy())
    np.testing.assert_array_equal(mask, want["attention_mask"].numpy())


def test_export_from_a_checkpoint_folder(regenerated, tmp_path):
    """save_pretrained of the tiny model (+ the processor's tokenizer and image settings), then export_package.py
    --sam-checkpoint: the same manifest and the same outputs as the random-init package."""
    import export_package

    out, modules = regenerated
    manifest = read_manifest(out)
    checkpoint, exported = str(tmp_path / "checkpoint"), str(tmp_path / "exported")
    modules.model.save_pretrained(checkpoint)
    concept_processor(out, manifest).save_pretrained(checkpoint)
    assert image_settings(checkpoint, 0) == {"size": 224, "mean": [0.5] * 3, "std": [0.5] * 3}
    assert export_package.main(["--family", "sam3-concept", "--sam-checkpoint", checkpoint, "--out", exported,
                                "--name", manifest["name"]]) == 0
    again = read_manifest(exported)
    assert {k: v for k, v in again.items() if k != "files"} == {k: v for k, v in manifest.items() if k != "files"}
    image, prompts = os.path.join(SHARED_IMAGES, "astronaut.png"), ["a cat", "a cup of coffee"]
    _, pixels, ids, mask = library_inputs(again, exported, image, prompts)
    _, _, ids0, mask0 = library_inputs(manifest, out, image, prompts)
    np.testing.assert_array_equal(ids, ids0)  # the checkpoint's own tokenizer.json tokenizes as the package's
    np.testing.assert_array_equal(mask, mask0)
    a, b = ort_concept(OrtPackage(exported), pixels, ids, mask), ort_concept(OrtPackage(out), pixels, ids, mask)
    for name in DETECTOR_OUTPUTS:
        np.testing.assert_allclose(a[name], b[name], atol=1e-5, err_msg=name)


def test_fp16_package_loads_and_roughly_matches(regenerated, tmp_path):
    out, modules = regenerated
    fp16 = str(tmp_path / "fp16")
    manifest = modules.write(fp16, name="fp16", tokenizer_json_path=os.path.join(out, "tokenizer.json"),
                             precision="fp16", log=lambda m: None)
    assert manifest["precision"] == "fp16"
    _, pixels, ids, mask = library_inputs(manifest, fp16, os.path.join(SHARED_IMAGES, "chelsea.png"), PROMPTS)
    half, full = ort_concept(OrtPackage(fp16), pixels, ids, mask), ort_concept(OrtPackage(out), pixels, ids, mask)
    assert all(np.isfinite(half[k]).all() for k in DETECTOR_OUTPUTS)
    assert np.abs(scores(half) - scores(full)).max() < 0.05
    assert np.abs(half["pred_boxes"] - full["pred_boxes"]).max() < 0.02
    assert ((half["pred_masks"] > 0) == (full["pred_masks"] > 0)).mean() > 0.97


def test_rle_is_coco_uncompressed():
    mask = np.array([[1, 0, 0], [1, 1, 0]], dtype=bool)  # column-major: 1 1 0 1 0 0
    assert rle_encode(mask) == {"size": [2, 3], "counts": [0, 2, 1, 1, 2]}
    assert rle_encode(~mask) == {"size": [2, 3], "counts": [2, 1, 1, 2]}
    for m in (mask, ~mask, np.zeros((3, 4), bool), np.ones((3, 4), bool)):
        np.testing.assert_array_equal(rle_decode(rle_encode(m)), m)


def test_image_settings_fold_the_rescale_factor(tmp_path):
    # (pixel / 127.5 − 1) / 1 is (pixel / 255 − 0.5) / 0.5
    (tmp_path / "preprocessor_config.json").write_text(json.dumps({
        "size": {"height": 336, "width": 336}, "rescale_factor": 1 / 127.5, "image_mean": [1, 1, 1],
        "image_std": [1, 1, 1]}))
    got = image_settings(str(tmp_path), 1008)
    assert got["size"] == 336
    np.testing.assert_allclose(got["mean"], [0.5] * 3)
    np.testing.assert_allclose(got["std"], [0.5] * 3)
    assert image_settings(None, 1008) == {"size": 1008, "mean": [0.5] * 3, "std": [0.5] * 3}
