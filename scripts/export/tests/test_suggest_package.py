"""The image tower of the committed suggestion package (test/fixtures/sam3-suggest-tiny): ONNX Runtime matches
PyTorch's CLIPVisionModelWithProjection, a regenerated package matches the committed one, and the committed
references are what PyTorch computes."""

from __future__ import annotations

import json
import os

import numpy as np
import onnxruntime as ort
import pytest
import torch

from sam3clip_export.suggest_fixture import (PHOTOS, SHARED_IMAGES, SUGGEST_PACKAGE_DIR, SUGGEST_REFERENCE,
                                             clip_pixel_values, make_suggest_package, make_suggest_reference)

pytestmark = pytest.mark.skipif(not os.path.isfile(os.path.join(SHARED_IMAGES, PHOTOS[0])),
                                reason="the shared photos (../shared/images) are missing")


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("pkg") / "sam3-suggest-tiny")
    modules = make_suggest_package(out)
    reference = make_suggest_reference(modules, out, str(tmp_path_factory.mktemp("ref") / "reference.json"))
    return out, modules, reference


def manifest(folder: str) -> dict:
    with open(os.path.join(folder, "manifest.json")) as f:
        return json.load(f)


def test_manifest_lists_the_image_tower(regenerated):
    out, _, _ = regenerated
    m = manifest(out)
    assert m["imageTower"]["size"] == 224 and m["imageTower"]["resize"] == "shortest-side-center-crop"
    assert m["files"]["image_tower"]["path"] == "image_tower.onnx"
    committed = manifest(SUGGEST_PACKAGE_DIR)
    assert {k: v for k, v in m.items() if k != "files"} == {k: v for k, v in committed.items() if k != "files"}
    # The other graphs are sam3-tiny's: the same seeds give the same weights.
    sam3_tiny = manifest(os.path.join(os.path.dirname(SUGGEST_PACKAGE_DIR), "sam3-tiny"))
    for key, entry in sam3_tiny["files"].items():
        assert committed["files"][key]["sha256"] == entry["sha256"], key


def test_image_tower_onnx_matches_pytorch(regenerated):
    out, modules, _ = regenerated
    spec = manifest(out)["imageTower"]
    for package in (out, SUGGEST_PACKAGE_DIR):
        session = ort.InferenceSession(os.path.join(package, "image_tower.onnx"), providers=["CPUExecutionProvider"])
        for name in PHOTOS:
            pixels = clip_pixel_values(os.path.join(SHARED_IMAGES, name), spec)
            with torch.no_grad():
                want = modules.image_tower(pixels).numpy()
            got = session.run(["image_embeds"], {"pixel_values": pixels.numpy()})[0]
            assert got.shape == (1, 768)
            np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)


def test_committed_references_are_pytorchs(regenerated):
    _, _, reference = regenerated
    with open(SUGGEST_REFERENCE) as f:
        committed = json.load(f)
    assert committed["vocabulary"] == reference["vocabulary"]
    for old, new in zip(committed["cases"], reference["cases"]):
        assert [t["text"] for t in old["top"]] == [t["text"] for t in new["top"]]
        np.testing.assert_allclose(old["imageEmbeds"], new["imageEmbeds"], atol=1e-5)
        np.testing.assert_allclose(old["cosine"], new["cosine"], atol=1e-6)


def test_export_flag_needs_the_clip_text_path():
    import export_package
    from sam3clip_export.pipeline import build_modules

    for argv in (["--family", "sam3-concept", "--random-init"], ["--family", "sam3", "--random-init", "--no-text"],
                 ["--family", "sam3", "--sam-checkpoint", "x"]):
        with pytest.raises(SystemExit):
            export_package.parse_args([*argv, "--clip-image-tower", "--out", "o", "--name", "n"])
    assert export_package.parse_args(["--random-init", "--clip-image-tower", "--out", "o", "--name", "n"]).clip_image_tower
    with pytest.raises(ValueError, match="needs the text path"):
        build_modules("sam3", "tiny", random_init=True, no_text=True, clip_image_tower=True)


def test_preprocessing_comes_from_the_checkpoint(tmp_path):
    from sam3clip_export.clip_image import CLIP_MEAN, build_clip_image, image_tower_spec

    model = build_clip_image("tiny", random_init=True)
    assert image_tower_spec(model)["mean"] == CLIP_MEAN
    (tmp_path / "preprocessor_config.json").write_text(json.dumps(
        {"size": {"shortest_edge": 224}, "crop_size": {"height": 224, "width": 224}, "image_mean": [0.5, 0.5, 0.5],
         "image_std": [0.25, 0.25, 0.25]}))
    spec = image_tower_spec(model, str(tmp_path))
    assert spec["mean"] == [0.5, 0.5, 0.5] and spec["std"] == [0.25, 0.25, 0.25] and spec["size"] == 224
    (tmp_path / "preprocessor_config.json").write_text(json.dumps({"size": {"shortest_edge": 256}, "crop_size": 224}))
    with pytest.raises(ValueError, match="differ"):
        image_tower_spec(model, str(tmp_path))


def test_check_parity_reports_the_image_tower(capsys):
    # check_parity decodes and tokenizes with the built library (dist/), which CI's npm test builds first.
    import check_parity

    assert check_parity.main(["--package", SUGGEST_PACKAGE_DIR, "--image", os.path.join(SHARED_IMAGES, PHOTOS[0])]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if "image_embeds (image_tower)" in ln)
    assert float(line.split()[-1]) < 1e-4
