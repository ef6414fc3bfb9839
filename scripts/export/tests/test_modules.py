"""The PyTorch modules behind the package graphs, against transformers' own forward passes (tiny presets)."""

from __future__ import annotations

import pytest
import torch

from sam3clip_export.clip_text import EOS_ID, ClipTextEncoder, build_clip_text, check_padding_invariance
from sam3clip_export.pipeline import build_modules
from sam3clip_export.projection import PromptProjection, load_projection, save_projection
from sam3clip_export.sam3_tracker import Sam3ImageEncoder, Sam3MaskDecoder, build_sam3_tracker


def test_sam3_modules_match_tracker_forward_with_a_point_prompt():
    """Encoder + decoder fed the prompt encoder's own point embedding must give Sam3TrackerModel's outputs."""
    model = build_sam3_tracker("tiny", random_init=True, seed=3)
    with torch.no_grad():
        model.no_memory_embedding.normal_()  # zero at init: make sure it is added where the tracker adds it
        pixels = torch.randn(1, 3, 224, 224)
        points = torch.tensor([[[[60.0, 100.0]], [[150.0, 30.0]]]])  # 2 prompts × 1 point
        labels = torch.ones(1, 2, 1, dtype=torch.int32)
        ref = model(pixel_values=pixels, input_points=points, input_labels=labels, multimask_output=True)
        sparse, _ = model.prompt_encoder(input_points=points, input_labels=labels, input_boxes=None, input_masks=None)
        feats = Sam3ImageEncoder(model)(pixels)
        masks, iou = Sam3MaskDecoder(model)(*feats, sparse[0])  # [B=2, N=2, 256]
    torch.testing.assert_close(masks, ref.pred_masks[0], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(iou, ref.iou_scores[0], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("family", ["sam", "sam2"])
def test_sam1_and_sam2_modules_match_model_forward_with_a_point_prompt(family):
    from sam3clip_export.pipeline import _family_module

    mod = _family_module(family)
    model = mod.build("tiny", random_init=True, seed=4)
    S = mod.dims(model)["image_size"]
    with torch.no_grad():
        if hasattr(model, "no_memory_embedding"):
            model.no_memory_embedding.normal_()
        pixels = torch.randn(1, 3, S, S)
        points = torch.tensor([[[[60.0, 100.0]], [[150.0, 30.0]]]])
        labels = torch.ones(1, 2, 1, dtype=torch.int64 if family == "sam" else torch.int32)
        ref = model(pixel_values=pixels, input_points=points, input_labels=labels, multimask_output=True)
        sparse, _ = model.prompt_encoder(input_points=points, input_labels=labels, input_boxes=None, input_masks=None)
        feats = mod.ImageEncoder(model)(pixels)
        feats = feats if isinstance(feats, tuple) else (feats,)
        masks, iou = mod.MaskDecoder(model)(*feats, sparse[0])
    torch.testing.assert_close(masks, ref.pred_masks[0], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(iou, ref.iou_scores[0], atol=1e-6, rtol=1e-5)


def test_decoder_batch_is_independent_per_prompt():
    m = build_modules("sam3", "tiny", random_init=True, seed=0)
    with torch.no_grad():
        feats = m.image_encoder(torch.randn(1, 3, 224, 224))
        prompts = m.projection(torch.randn(3, 768))
        masks, iou = m.mask_decoder(*feats, prompts)
        one, one_iou = m.mask_decoder(*feats, prompts[1:2])
    assert masks.shape == (3, 3, 64, 64) and iou.shape == (3, 3)
    torch.testing.assert_close(masks[1:2], one, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(iou[1:2], one_iou)


def test_eos_padding_leaves_the_clip_embedding_unchanged():
    encoder = ClipTextEncoder(build_clip_text("tiny", random_init=True, seed=1))
    assert check_padding_invariance(encoder, [49406, 320, 736, 1615, EOS_ID]) < 1e-5
    assert check_padding_invariance(encoder, [49406, EOS_ID]) < 1e-5


def test_projection_shapes_and_round_trip(tmp_path):
    torch.manual_seed(0)
    proj = PromptProjection()
    with torch.no_grad():
        proj.text_prompt_type.normal_()
        proj.blank_prompt.normal_()
        x = torch.randn(4, 768)
        out = proj(x)
    assert out.shape == (4, 2, 256)
    torch.testing.assert_close(out[:, 1], proj.blank_prompt.expand(4, 256))
    for name in ("p.safetensors", "p.pt"):
        save_projection(proj, str(tmp_path / name))
        with torch.no_grad():
            torch.testing.assert_close(load_projection(str(tmp_path / name))(x), out)


def test_missing_checkpoint_paths_fail_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint folder not found"):
        build_sam3_tracker("full", checkpoint=str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError, match="projection weights not found"):
        load_projection(str(tmp_path / "nope.safetensors"))
    with pytest.raises(ValueError, match="random_init"):
        build_sam3_tracker("tiny")
