"""The committed tiny Chinese-CLIP package (test/fixtures/sam3-chinese-tiny) and its references must be what the
export code makes: regenerate both into a temp folder; the text encoder must be ChineseCLIPModel.get_text_features;
the ONNX chain (input_ids + attention_mask) must match the committed PyTorch references."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from sam3clip_export.chinese_clip_text import build_chinese_clip
from sam3clip_export.chinese_fixture import (CHINESE_PACKAGE_DIR, CHINESE_REFERENCE_DIR, SEGMENT_PROMPTS, TOKENS_FILE,
                                             make_chinese_package, make_chinese_reference, transformers_tokens)
from sam3clip_export.fixture import IMAGES, TINY_PACKAGE_DIR, TINY_SEED
from sam3clip_export.parity import OrtPackage
from sam3clip_export.preprocess import library_rgb, normalize, postprocess
from sam3clip_export.reference import read_reference, unpack_mask


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("pkg") / "sam3-chinese-tiny")
    ref = str(tmp_path_factory.mktemp("ref") / "sam3-chinese-tiny-reference")
    modules = make_chinese_package(out)
    make_chinese_reference(modules, out, ref)
    return out, ref, modules


def manifest(dir_: str) -> dict:
    with open(os.path.join(dir_, "manifest.json")) as f:
        return json.load(f)


def test_manifest_and_files_match_committed(regenerated):
    out, _, _ = regenerated
    new, old = manifest(out), manifest(CHINESE_PACKAGE_DIR)
    assert new == old
    assert new["tokenizer"] == {"contextLength": 52, "padId": 0, "lowercase": False, "attentionMask": True,
                                "framing": "bert"}
    assert new["dims"]["textEmbedding"] == 512
    # The tracker is sam3-tiny's (same seed): those graphs are the same bytes.
    tiny = manifest(TINY_PACKAGE_DIR)["files"]
    for key in ("image_encoder", "prompt_encoder", "mask_decoder"):
        assert new["files"][key] == tiny[key], key


def test_tokens_reference_matches_committed(regenerated):
    _, ref, _ = regenerated
    with open(os.path.join(ref, TOKENS_FILE), encoding="utf-8") as f:
        new = json.load(f)
    with open(os.path.join(CHINESE_REFERENCE_DIR, TOKENS_FILE), encoding="utf-8") as f:
        old = json.load(f)
    assert new["cases"] == old["cases"]


def test_text_encoder_is_get_text_features(regenerated):
    """The exported module (text_model + text_projection of [CLS]) against the whole ChineseCLIPModel."""
    out, _, modules = regenerated
    model = build_chinese_clip("tiny", random_init=True, seed=TINY_SEED + 1)
    tokens = transformers_tokens(os.path.join(out, "tokenizer.json"), SEGMENT_PROMPTS, 52)
    ids, mask = torch.from_numpy(tokens["ids"]), torch.from_numpy(tokens["attention_mask"])
    with torch.no_grad():
        want = model.get_text_features(input_ids=ids, attention_mask=mask).pooler_output
        got = modules.text_encoder(ids, mask)
        # Padding is masked out: the first prompt alone, unpadded, gives the same embedding.
        n = int(mask[0].sum())
        alone = modules.text_encoder(ids[:1, :n], mask[:1, :n])
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(alone, got[:1], atol=1e-4, rtol=1e-4)
    onnx = OrtPackage(CHINESE_PACKAGE_DIR).run("text_encoder", {"input_ids": tokens["ids"],
                                                                "attention_mask": tokens["attention_mask"]})[0]
    np.testing.assert_allclose(onnx, want.numpy(), atol=1e-4)


@pytest.mark.parametrize("image", [name for name, *_ in IMAGES])
def test_onnx_chain_matches_reference(regenerated, image):
    out, _, _ = regenerated
    index, logits = read_reference(CHINESE_REFERENCE_DIR)
    cases = [c for c in index["cases"] if c["image"] == image]
    assert [c["prompt"] for c in cases] == SEGMENT_PROMPTS
    m = manifest(out)
    S = m["image"]["size"]
    original_hw, resized_hw, rgb = library_rgb(os.path.join(CHINESE_REFERENCE_DIR, image), S, m["image"]["resize"])
    pixels = normalize(rgb, S, m["image"]["mean"], m["image"]["std"])
    tokens = transformers_tokens(os.path.join(out, "tokenizer.json"), SEGMENT_PROMPTS, 52)
    for package in (out, CHINESE_PACKAGE_DIR):
        pkg = OrtPackage(package)
        feats = dict(zip(pkg.output_names("image_encoder"), pkg.run("image_encoder", {"pixel_values": pixels})))
        text = pkg.run("text_encoder", {"input_ids": tokens["ids"], "attention_mask": tokens["attention_mask"]})[0]
        prompts = pkg.run("text_projection", {"text_embeds": text})[0]
        masks, iou = pkg.run("mask_decoder", {**feats, "prompt_embeds": prompts})
        for b, c in enumerate(cases):
            ref_logits = logits[c["logitsOffset"] // int(np.prod(index["lowresShape"]))]
            np.testing.assert_allclose(masks[b], ref_logits, atol=1e-4)
            np.testing.assert_allclose(iou[b], c["iouScores"], atol=1e-5)
            for k in range(len(c["masks"])):
                want = unpack_mask(c["masks"][k], c["height"], c["width"])
                got = postprocess(masks[b, k], S, resized_hw, original_hw)
                assert (got == want).mean() >= 0.999, f"{image} {c['prompt']!r} candidate {k}"


def test_prompts_give_different_outputs():
    """A random tower that answered every prompt alike would test nothing."""
    index, _ = read_reference(CHINESE_REFERENCE_DIR)
    scores = [tuple(round(v, 3) for v in c["iouScores"]) for c in index["cases"]]
    assert len(set(scores)) == len(scores)
    for c in index["cases"]:
        assert all(0.02 < f < 0.98 for f in c["foreground"]), c


def test_export_from_checkpoint_folders(tmp_path):
    """--text-tower chinese-clip --clip-checkpoint DIR: the tower from a ChineseCLIPModel folder, tokenizer.json
    from the folder's own tokenizer; a text-model-only folder (no text_projection) is refused."""
    from export_package import main
    from sam3clip_export import sam3_tracker
    from sam3clip_export.chinese_clip_text import bert_tokenizer_json, transformers_tokenizer
    from sam3clip_export.projection import PromptProjection, save_projection

    clip_dir, sam_dir = tmp_path / "chinese-clip", tmp_path / "sam3"
    model = build_chinese_clip("tiny", random_init=True, seed=7)
    model.save_pretrained(clip_dir)
    transformers_tokenizer(bert_tokenizer_json(str(tmp_path / "tok.json"))).save_pretrained(clip_dir)
    sam3_tracker.build("tiny", random_init=True, seed=7).save_pretrained(sam_dir)
    projection = str(tmp_path / "projection.safetensors")
    save_projection(PromptProjection(512, 512, 256), projection)
    out = tmp_path / "pkg"
    args = ["--family", "sam3", "--text-tower", "chinese-clip", "--sam-checkpoint", str(sam_dir), "--projection",
            projection, "--out", str(out), "--name", "cn"]
    assert main([*args, "--clip-checkpoint", str(clip_dir)]) == 0
    m = manifest(str(out))
    assert m["tokenizer"]["framing"] == "bert" and m["dims"]["textEmbedding"] == 512
    tokens = transformers_tokens(str(out / "tokenizer.json"), SEGMENT_PROMPTS, m["tokenizer"]["contextLength"])
    assert tokens["ids"].tolist() == transformers_tokens(str(tmp_path / "tok.json"), SEGMENT_PROMPTS, 52)["ids"].tolist()
    with torch.no_grad():
        want = model.get_text_features(input_ids=torch.from_numpy(tokens["ids"]),
                                       attention_mask=torch.from_numpy(tokens["attention_mask"])).pooler_output
    got = OrtPackage(str(out)).run("text_encoder", {"input_ids": tokens["ids"],
                                                    "attention_mask": tokens["attention_mask"]})[0]
    np.testing.assert_allclose(got, want.numpy(), atol=1e-4)

    text_only = tmp_path / "text-only"
    model.text_model.save_pretrained(text_only)
    assert main([*args, "--clip-checkpoint", str(text_only)]) == 1
