"""The PyTorch modules behind the package graphs, against transformers' own forward passes (tiny presets)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sam3clip_export.clip_text import EOS_ID, ClipTextEncoder, build_clip_text, check_padding_invariance
from sam3clip_export.interactive_prompts import batch_tokens, prompt_tokens
from sam3clip_export.package_writer import export_graph
from sam3clip_export.pipeline import _family_module, build_modules
from sam3clip_export.prompt_encoder import PointPromptEncoder
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


# In the encoder's input frame (S = 224 for sam3 tiny, 256 for sam2 tiny): what the processor makes of a prompt.
INTERACTIVE_PROMPTS = {
    "point": {"points": [[60.0, 100.0]], "labels": [1]},
    "points": {"points": [[60.0, 100.0], [150.0, 30.0]], "labels": [1, 0]},
    "box": {"box": [40.0, 50.0, 180.0, 160.0]},
    "box+point": {"box": [40.0, 50.0, 180.0, 160.0], "points": [[100.0, 90.0]], "labels": [1]},
}


def interactive_model(family: str):
    mod = _family_module(family)
    model = mod.build("tiny", random_init=True, seed=5)
    with torch.no_grad():
        model.no_memory_embedding.normal_()
    return mod, model, mod.dims(model)["image_size"]


@pytest.mark.parametrize("family", ["sam3", "sam2"])
@pytest.mark.parametrize("case", list(INTERACTIVE_PROMPTS))
def test_prompt_encoder_tokens_give_the_model_forward_masks(family, case):
    """The library's token list (points, box corners, one pad) through PointPromptEncoder and the mask decoder
    must give transformers' forward with the same points and box (its own padding rule)."""
    mod, model, S = interactive_model(family)
    prompt = INTERACTIVE_PROMPTS[case]
    points, labels = prompt_tokens(prompt, (S, S), (S, S))
    kwargs = {}
    if "points" in prompt:
        kwargs["input_points"] = torch.tensor([[prompt["points"]]])
        kwargs["input_labels"] = torch.tensor([[prompt["labels"]]], dtype=torch.int64)
    if "box" in prompt:
        kwargs["input_boxes"] = torch.tensor([[prompt["box"]]])
    with torch.no_grad():
        pixels = torch.randn(1, 3, S, S)
        ref = model(pixel_values=pixels, multimask_output=True, **kwargs)
        sparse = PointPromptEncoder(model)(torch.from_numpy(points)[None], torch.from_numpy(labels)[None])
        masks, iou = mod.MaskDecoder(model)(*mod.ImageEncoder(model)(pixels), sparse)
    torch.testing.assert_close(masks, ref.pred_masks[0], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(iou, ref.iou_scores[0], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("family", ["sam3", "sam2"])
def test_prompt_encoder_graph_has_dynamic_batch_and_tokens(family, tmp_path):
    import onnxruntime as ort
    from sam3clip_export.prompt_encoder import prompt_encoder_example

    _, model, S = interactive_model(family)
    encoder = PointPromptEncoder(model).eval()
    path = str(tmp_path / "prompt_encoder.onnx")
    axes = {0: "B", 1: "n"}
    export_graph(encoder, prompt_encoder_example(S), path, ["input_points", "input_labels"], ["sparse_embeddings"],
                 {"input_points": axes, "input_labels": axes, "sparse_embeddings": axes})
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    batches = [[INTERACTIVE_PROMPTS["point"]], [INTERACTIVE_PROMPTS["box+point"]] * 3,
               [INTERACTIVE_PROMPTS["points"], INTERACTIVE_PROMPTS["box"]]]
    for prompts in batches:
        points, labels = batch_tokens(prompts, (S, S), (S, S))
        got = session.run(None, {"input_points": points, "input_labels": labels})[0]
        with torch.no_grad():
            want = encoder(torch.from_numpy(points), torch.from_numpy(labels)).numpy()
        assert got.shape == (len(prompts), labels.shape[1], 256)
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_prompt_tokens_follow_the_library_rule():
    points, labels = prompt_tokens({"box": [10, 20, 30, 40], "points": [[5, 6]], "labels": [0]}, (100, 200), (50, 50))
    assert labels.tolist() == [0, 2, 3, -1]
    np.testing.assert_allclose(points, [[1.25, 3.0], [2.5, 10.0], [7.5, 20.0], [0.0, 0.0]])
    assert prompt_tokens({"points": [[1, 1]]}, (10, 10), (10, 10))[1].tolist() == [1, -1]


def test_prompt_tokens_scale_as_the_processor_does():
    """Bit for bit Sam3TrackerProcessor's float32 rescale of points and boxes to the S×S frame."""
    from transformers import Sam3ImageProcessor, Sam3TrackerProcessor

    processor = Sam3TrackerProcessor(image_processor=Sam3ImageProcessor(size={"height": 224, "width": 224}))
    H, W = 300, 451
    rng = np.random.default_rng(0)
    points = (rng.uniform(0, 1, (64, 2)) * [W, H]).round(2).tolist()
    box = [10.3, 20.7, 400.1, 290.9]
    out = processor(original_sizes=[[H, W]], input_points=[[points]], input_labels=[[[1] * len(points)]],
                    input_boxes=[[box]], return_tensors="pt")
    got, _ = prompt_tokens({"points": points, "labels": [1] * len(points), "box": box}, (H, W), (224, 224))
    np.testing.assert_array_equal(got[: len(points)], out["input_points"][0, 0].numpy())
    np.testing.assert_array_equal(got[len(points): -1].reshape(-1), out["input_boxes"][0, 0].numpy())
