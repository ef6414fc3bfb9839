"""The committed tiny sam3-concept package (test/fixtures/sam3-concept-tiny) and its transformers references
(test/fixtures/sam3-concept-tiny-reference): regenerate the package into a temp folder and check that

- its manifest is the committed one (hashes apart),
- the wrappers are transformers' own forward passes: detector and detector_boxes are Sam3Model.forward (text,
  text + box exemplars), image_encoder's tracker outputs are Sam3TrackerModel's image features with the
  no-memory token on the 1× level, prompt_encoder + mask_decoder are Sam3TrackerModel.forward,
- ONNX Runtime's chains (the regenerated graphs and the committed ones) match PyTorch on inputs unlike the tracing
  inputs: photos, real prompts, batches of 1 and 3, prompts of different lengths, one to three boxes, points,
- the committed references are what transformers gives now (so a transformers change shows up here),
- the library's decoding, resize, tokenization and box / point transforms equal Sam3Processor's and
  Sam3TrackerProcessor's,
- exporting from a checkpoint folder in facebook/sam3's layout gives the same package (a folder without the
  tracker, or a tracker on another ViT, is refused), and fp16 exports load.

Needs the built library (npm run build:ts, done by npm test before these run in CI) and ../shared/images.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from sam3clip_export.concept_fixture import (
    BOX_CASES, CONCEPT_PACKAGE_DIR, CONCEPT_REFERENCE_DIR, IMAGES, PROMPTS, SHARED_IMAGES, TRACKER_CASES,
    check_reference, concept_reference, image_paths, make_concept_package,
)
from sam3clip_export.concept_parity import (
    DETECTOR_OUTPUTS, TRACKER_FEATURES, compare_boxes, compare_concept, compare_tracker, library_boxes,
    library_inputs, library_prompt_tokens, ort_concept, ort_image, scores,
)
from sam3clip_export.concept_reference import (
    concept_processor, load_photo, read_concept_reference, rle_decode, rle_encode, transformers_outputs,
)
from sam3clip_export.concept_tracker_reference import tracker_processor
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
    assert old["tracker"] == {"embeddingChannels": 256, "embeddingSize": old["dims"]["embeddingSize"],
                              "maskSize": 4 * old["dims"]["embeddingSize"][0], "candidates": 3}
    assert {"detector_boxes", "prompt_encoder", "mask_decoder"} <= set(old["files"])
    from sam3clip_export.package_writer import sha256_file

    for key, f in old["files"].items():  # the committed files are the ones the committed manifest names
        assert sha256_file(os.path.join(CONCEPT_PACKAGE_DIR, f["path"])) == f["sha256"], key


def test_wrappers_are_sam3model_forward(regenerated):
    out, modules = regenerated
    processor = concept_processor(out, read_manifest(out))
    _, inputs, want = transformers_outputs(modules.model, processor, os.path.join(SHARED_IMAGES, "coffee.png"), PROMPTS)
    with torch.no_grad():
        feats = modules.image_encoder(inputs["pixel_values"][:1])[:3]
        text = modules.text_encoder(inputs["input_ids"], inputs["attention_mask"])
        got = modules.detector(*feats, text, inputs["attention_mask"])
    # Equal up to float rounding: transformers ran the ViT on the image three times over (a batch of 3), which
    # rounds a little differently from one image.
    for name, g in zip(DETECTOR_OUTPUTS, got):
        torch.testing.assert_close(g, getattr(want, name), atol=1e-4, rtol=1e-5, msg=name)


def test_detector_boxes_is_sam3model_with_boxes(regenerated):
    """A batch of two prompts with one and two boxes: Sam3Processor pads the first with a -10 box, which both
    Sam3Model and the detector_boxes graph (ONNX Runtime too) ignore."""
    out, modules = regenerated
    processor = concept_processor(out, read_manifest(out))
    photo = load_photo(os.path.join(SHARED_IMAGES, "coffee.png"))
    (_, text, boxes, labels) = BOX_CASES[1]
    inputs = processor(images=[photo, photo], text=["a cup", text], input_boxes=[boxes[:1], boxes],
                       input_boxes_labels=[labels[:1], labels], return_tensors="pt")
    assert inputs["input_boxes_labels"].tolist() == [[1, -10], [1, 0]]
    with torch.no_grad():
        want = modules.model(**inputs)
        feats = modules.image_encoder(inputs["pixel_values"][:1])[:3]
        text_features = modules.text_encoder(inputs["input_ids"], inputs["attention_mask"])
        args = (*feats, text_features, inputs["attention_mask"], inputs["input_boxes"], inputs["input_boxes_labels"])
        got = modules.detector_boxes(*args)
        alone = modules.detector_boxes(*feats, text_features[:1], inputs["attention_mask"][:1],
                                       inputs["input_boxes"][:1, :1], inputs["input_boxes_labels"][:1, :1])
        text_only = modules.detector(*feats, text_features, inputs["attention_mask"])
    for name, g, a, t in zip(DETECTOR_OUTPUTS, got, alone, text_only):
        torch.testing.assert_close(g, getattr(want, name), atol=1e-4, rtol=1e-5, msg=name)
        torch.testing.assert_close(g[:1], a, atol=1e-4, rtol=1e-5, msg=f"{name}: the padding box is not ignored")
    assert (got[0] - text_only[0]).abs().max() > 0.1  # the boxes matter
    pkg = OrtPackage(out)
    names = [i.name for i in pkg.sessions["detector_boxes"].get_inputs()]
    onnx_out = pkg.run("detector_boxes", dict(zip(names, [a.numpy() for a in args])))
    for name, g, w in zip(DETECTOR_OUTPUTS, onnx_out, got):
        assert np.abs(g - w.numpy()).max() < 1e-3 * max(1.0, float(np.abs(w.numpy()).max())), name


def test_image_encoder_runs_the_vit_once_for_both_heads(regenerated):
    """image_encoder's tracker outputs are Sam3TrackerModel's own image features (its ViT run by transformers)
    with the no-memory token on the 1× level, and the graph holds one ViT."""
    import onnx

    out, modules = regenerated
    tracker = modules.tracker
    assert tracker.no_memory_embedding.abs().max() > 0.01  # a token at the wrong level would show
    pixels = concept_processor(out, read_manifest(out))(images=load_photo(os.path.join(SHARED_IMAGES, "astronaut.png")),
                                                        return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        got = modules.image_encoder(pixels)
        levels = tracker.get_image_features(pixels, return_dict=True).fpn_hidden_states  # each HW×1×C
        levels = list(levels)[: len(tracker.backbone_feature_sizes)]
        levels[-1] = levels[-1] + tracker.no_memory_embedding  # the official rule: the 1× level
        want = [m.permute(1, 2, 0).reshape(1, -1, *s) for m, s in zip(levels, tracker.backbone_feature_sizes)]
    for name, g, w in zip(TRACKER_FEATURES, got[3:], [want[2], want[0], want[1]]):
        torch.testing.assert_close(g, w, atol=1e-5, rtol=1e-5, msg=name)
    graph = onnx.load(os.path.join(out, "image_encoder.onnx")).graph
    attention = [n.name for n in graph.node if "/backbone/layers.0/" in n.name and n.op_type == "MatMul"]
    assert attention and not [n for n in attention if "tracker" in n], "the tracker path runs a second ViT"
    outputs = [o.name for o in graph.output]
    assert outputs == ["fpn_feats_0", "fpn_feats_1", "fpn_feats_2", *TRACKER_FEATURES]


@pytest.mark.parametrize("image,points,labels,box", TRACKER_CASES, ids=[c[0] for c in TRACKER_CASES])
def test_tracker_graphs_are_sam3trackermodel(regenerated, image, points, labels, box):
    """prompt_encoder (fed the library's tokens) + mask_decoder, in PyTorch and under ONNX Runtime (regenerated and
    committed), give Sam3TrackerModel.forward's candidates and IoUs for Sam3TrackerProcessor's prompt."""
    out, modules = regenerated
    manifest = read_manifest(out)
    processor = tracker_processor(manifest)
    photo = load_photo(os.path.join(SHARED_IMAGES, image))
    kwargs = {"input_points": [[points]], "input_labels": [[labels]]}
    if box is not None:
        kwargs["input_boxes"] = [[box]]
    inputs = processor(images=photo, return_tensors="pt", **kwargs)
    input_points, input_labels = library_prompt_tokens(points, labels, box, (photo.height, photo.width), 224)
    with torch.no_grad():
        want = modules.tracker(pixel_values=inputs["pixel_values"], input_points=inputs["input_points"],
                               input_labels=inputs["input_labels"], input_boxes=inputs.get("input_boxes"),
                               multimask_output=True)
        feats = modules.image_encoder(inputs["pixel_values"])[3:]
        sparse = modules.prompt_encoder(torch.from_numpy(input_points), torch.from_numpy(input_labels))
        masks, iou = modules.mask_decoder(*feats, sparse)
    torch.testing.assert_close(masks, want.pred_masks[0], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(iou, want.iou_scores[0], atol=1e-5, rtol=1e-5)
    for package in (out, CONCEPT_PACKAGE_DIR):
        pkg = OrtPackage(package)
        image_out = ort_image(pkg, inputs["pixel_values"].numpy())
        emb = pkg.run("prompt_encoder", {"input_points": input_points, "input_labels": input_labels})[0]
        got_masks, got_iou = pkg.run("mask_decoder", {**{n: image_out[n] for n in TRACKER_FEATURES},
                                                      "prompt_embeds": emb})
        assert np.abs(got_masks - masks.numpy()).max() < 1e-3 * np.abs(masks.numpy()).max(), package
        assert np.abs(got_iou - iou.numpy()).max() < 1e-4, package


@pytest.mark.parametrize("image,text,boxes,labels", BOX_CASES, ids=[c[0] for c in BOX_CASES])
def test_onnx_detector_boxes_matches_pytorch(regenerated, image, text, boxes, labels):
    out, modules = regenerated
    for package in (out, CONCEPT_PACKAGE_DIR):
        r = compare_boxes(modules, OrtPackage(package), os.path.join(SHARED_IMAGES, image), text, boxes, labels)
        for name, (d, rel) in r["diffs"].items():
            if name == "pred_masks":
                assert rel < MASK_REL_TOL, f"{package} {name}: max |diff| {d} = {rel:.2e} of the largest logit"
            else:
                assert d < ABS_TOL, f"{package} {name}: max |diff| {d}"
        assert r["same_kept"], package


@pytest.mark.parametrize("image,points,labels,box", TRACKER_CASES, ids=[c[0] for c in TRACKER_CASES])
def test_onnx_tracker_chain_matches_pytorch_on_library_inputs(regenerated, image, points, labels, box):
    out, modules = regenerated
    for package in (out, CONCEPT_PACKAGE_DIR):
        r = compare_tracker(modules, OrtPackage(package), os.path.join(SHARED_IMAGES, image), points, labels, box)
        for name, (d, rel) in r["diffs"].items():
            assert (d < 1e-4) if name == "iou_scores" else (rel < 1e-3), f"{package} {name}: {d} ({rel:.2e})"


def test_library_box_and_point_transforms_equal_the_processors(regenerated):
    """The formulas docs/model-package.md gives the library, in float32, are bit for bit what Sam3Processor and
    Sam3TrackerProcessor compute from original-pixel coordinates."""
    out, _ = regenerated
    manifest = read_manifest(out)
    concept, tracker = concept_processor(out, manifest), tracker_processor(manifest)
    boxes = [[30.0, 10.0, 380.0, 290.0], [0.5, 3.25, 451.0, 300.0], [-20.0, 17.0, 99.9, 123.4]]
    points = [[260.0, 240.0], [0.0, 299.5], [450.9, 1.0]]
    for name in ("chelsea.png", "coffee.png", "astronaut.png"):
        photo = load_photo(os.path.join(SHARED_IMAGES, name))
        hw = (photo.height, photo.width)
        want = concept(images=photo, text="x", input_boxes=[boxes], input_boxes_labels=[[1, 0, 1]],
                       return_tensors="pt")["input_boxes"].numpy()
        np.testing.assert_array_equal(library_boxes(boxes, hw), want, err_msg=name)
        got_points, got_labels = library_prompt_tokens(points, [1, 0, 1], boxes[0], hw, manifest["image"]["size"])
        t = tracker(images=photo, input_points=[[points]], input_labels=[[[1, 0, 1]]], input_boxes=[[boxes[0]]],
                    return_tensors="pt")
        np.testing.assert_array_equal(got_points[0, :3], t["input_points"][0, 0].numpy(), err_msg=name)
        np.testing.assert_array_equal(got_points[0, 3:5].reshape(-1), t["input_boxes"][0, 0].numpy(), err_msg=name)
        assert got_labels.tolist() == [[1, 0, 1, 2, 3, -1]]


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


def assert_same_instances(got: dict, want: dict, where: str) -> None:
    np.testing.assert_allclose(got["presence"], want["presence"], atol=1e-5, err_msg=where)
    np.testing.assert_allclose(got["scores"], want["scores"], atol=1e-5, err_msg=where)
    assert [i["query"] for i in got["instances"]] == [i["query"] for i in want["instances"]], where
    for g, w in zip(got["instances"], want["instances"]):
        np.testing.assert_allclose(g["box"], w["box"], atol=1e-3, err_msg=where)
        agree = (rle_decode(g["mask"]) == rle_decode(w["mask"])).mean()
        assert agree > 0.999, f"{where} query {w['query']}: masks agree on {agree:.5f}"


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
        assert_same_instances(got, want, where)
    assert [(c["image"], c["prompt"]["text"], c["prompt"]["boxes"], c["prompt"]["labels"])
            for c in committed["boxCases"]] == [tuple(c) for c in BOX_CASES]
    for want, got in zip(committed["boxCases"], now["boxCases"]):
        where = f"{want['image']} {want['prompt']}"
        assert (got["prompt"], got["tokenIds"]) == (want["prompt"], want["tokenIds"]), where
        np.testing.assert_allclose(got["inputBoxes"], want["inputBoxes"], rtol=0, atol=1e-7, err_msg=where)
        assert_same_instances(got, want, where)
    assert [(c["image"], c["prompt"]["points"], c["prompt"]["labels"], c["prompt"]["box"])
            for c in committed["trackerCases"]] == [tuple(c) for c in TRACKER_CASES]
    for want, got in zip(committed["trackerCases"], now["trackerCases"]):
        where = f"{want['image']} {want['prompt']}"
        assert got["promptTokens"]["labels"] == want["promptTokens"]["labels"], where
        np.testing.assert_allclose(got["promptTokens"]["points"], want["promptTokens"]["points"], atol=1e-4,
                                   err_msg=where)
        np.testing.assert_allclose(got["iouScores"], want["iouScores"], atol=1e-5, err_msg=where)
        for k, (g, w) in enumerate(zip(got["candidates"], want["candidates"])):
            agree = (rle_decode(g["rle"]) == rle_decode(w["rle"])).mean()
            assert agree > 0.999, f"{where} candidate {k}: masks agree on {agree:.5f}"


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
    """The tiny concept model and its tracker saved as facebook/sam3's folder holds them (one safetensors with
    detector_model.*, tracker_model.*, tracker_neck.*; a sam3_video config) with the processor's tokenizer and
    image settings, then export_package.py --sam-checkpoint: the same manifest and the same outputs as the
    random-init package, the ViT checked to be the tracker's too."""
    import export_package

    from sam3clip_export.concept_tracker import save_official_layout

    out, modules = regenerated
    manifest = read_manifest(out)
    checkpoint, exported = str(tmp_path / "checkpoint"), str(tmp_path / "exported")
    save_official_layout(checkpoint, modules.model, modules.tracker)
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
    tracker = compare_tracker(modules, OrtPackage(exported), image, [[225.0, 130.0]], [1], None)
    for name, (d, _) in tracker["diffs"].items():
        assert d < 1e-4, name
    boxes = compare_boxes(modules, OrtPackage(exported), image, "a person", [[20.0, 10.0, 360.0, 512.0]], [1])
    for name, (d, _) in boxes["diffs"].items():
        assert d < 1e-3, name


def test_a_checkpoint_without_the_tracker_is_refused(regenerated, tmp_path, capsys):
    """A plain Sam3Model save has no tracker weights: from_pretrained would leave the tracker random (and with
    SAM3's sizes take the detector's neck for the tracker's), so the export stops with a clear error."""
    import export_package

    out, modules = regenerated
    checkpoint = str(tmp_path / "detector-only")
    modules.model.save_pretrained(checkpoint)
    concept_processor(out, read_manifest(out)).save_pretrained(checkpoint)
    assert export_package.main(["--family", "sam3-concept", "--sam-checkpoint", checkpoint, "--out",
                                str(tmp_path / "x"), "--name", "x"]) == 1
    assert "no SAM3 tracker weights" in capsys.readouterr().err


def test_a_tracker_on_another_vit_is_refused(regenerated):
    from sam3clip_export.concept_tracker import check_same_vit, random_concept_tracker

    _, modules = regenerated
    tracker = random_concept_tracker(modules.model, "tiny", seed=5)
    check_same_vit(modules.model, tracker)
    with torch.no_grad():
        next(tracker.vision_encoder.backbone.parameters()).add_(1e-3)
    with pytest.raises(ValueError, match="ViT weights differ"):
        check_same_vit(modules.model, tracker)


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
    image = os.path.join(SHARED_IMAGES, "coffee.png")
    box = compare_boxes(modules, OrtPackage(fp16), image, *BOX_CASES[1][1:])["diffs"]
    assert box["pred_logits"][0] < 0.2 and box["pred_boxes"][0] < 0.02, box
    tracker = compare_tracker(modules, OrtPackage(fp16), image, *TRACKER_CASES[2][1:])["diffs"]
    assert tracker["iou_scores"][0] < 0.02 and tracker["masks"][1] < 0.05, tracker


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
