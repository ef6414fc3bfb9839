"""SAM3 promptable concept segmentation (transformers Sam3Model) and the SAM3 tracker's interactive path
(Sam3TrackerModel, on the same ViT) split into the family sam3-concept's graphs.

  image_encoder   pixel_values [1,3,S,S] → fpn_feats_0/1/2 [1,C,4h,4w] / [1,C,2h,2w] / [1,C,h,w] (the detector's
                  neck) and image_embeddings [1,256,h,w], high_res_feats_0 [1,32,4h,4w], high_res_feats_1
                  [1,64,2h,2w] (the tracker's), from one ViT run
  text_encoder    input_ids, attention_mask [B,L] → text_features [B,L,T]
  detector        fpn_feats_0/1/2, text_features, attention_mask → pred_logits [B,Q], pred_boxes [B,Q,4],
                  pred_masks [B,Q,m,m], presence_logits [B,1]
  detector_boxes  the detector's inputs + input_boxes [B,nb,4] (cxcywh, 0–1), input_boxes_labels [B,nb] → the same
  prompt_encoder  input_points [B,n,2] (S frame), input_labels [B,n] → sparse_embeddings [B,n,256]
  mask_decoder    image_embeddings, high_res_feats_0/1, prompt_embeds [B,N,256] → masks [B,3,4h,4w], iou_scores [B,3]

The image is encoded once and the text once per prompt (the library caches both); the detectors are
``Sam3Model.forward`` itself on those precomputed parts, the tracker graphs the tracker families' own modules
(tests/test_concept_package.py checks every graph against transformers).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from dataclasses import dataclass

import torch
from torch import nn

from .common import TrackerImageEncoder, TrackerMaskDecoder, load_pretrained
from .concept_boxes import batched_box_pooling
from .concept_tracker import build_concept_tracker, tracker_dims, vit_output_reused
from .package_writer import GraphSpec, write_graph_package
from .prompt_encoder import PointPromptEncoder, prompt_encoder_example
from .sam3_tracker import _tile_by_gather

# Sam3Model.forward reads the first three FPN levels (strides ×4, ×2, ×1 of the patch grid); a fourth, coarser
# level (scale 0.5) is computed by the neck but never used, so the image encoder leaves it out.
USED_LEVELS = 3
USED_SCALES = [4.0, 2.0, 1.0]

# SAM3's normalization when a checkpoint has no preprocessor_config.json (Sam3ImageProcessor's defaults; its
# default size, 1008, is the ViT's image size, which is then used).
DEFAULT_MEAN = [0.5, 0.5, 0.5]
DEFAULT_STD = [0.5, 0.5, 0.5]
CLIP_PAD_ID = 49407  # CLIP's <|endoftext|>, the pad token of SAM3's tokenizer

TINY_WIDTH = 64  # 8 attention heads of 8, GroupNorm(8, ·) in the mask decoder

CONCEPT_PRESETS: dict[str, dict] = {
    # facebook/sam3's detector: Sam3Config's defaults (ViT 1024×32 at S=1008 → 72×72, CLIP-style text tower 1024×24
    # with 32 positions, DETR encoder/decoder 6+6 layers, 200 queries, masks 288).
    "full": {},
    # The same architecture a few MB in size: S=224, patch 14 → 16×16 grid (masks 64). Every width is small, the
    # model width (FPN, DETR, mask decoder: the package's C and T) 64 instead of 256 — the manifest carries C and T,
    # so the library reads them rather than assuming SAM3's 256. The text tower keeps the real 49408-token vocabulary
    # (the package uses CLIP's tokenizer; its embedding is most of the package) and 32 positions.
    # pretrain_image_size 112 makes the ViT tile its 8×8 position embeddings, as the real one tiles 24×24 to 72×72.
    "tiny": {
        "vision_config": {
            "model_type": "sam3_vision_model",
            "backbone_config": {
                "model_type": "sam3_vit_model", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                "num_attention_heads": 2, "image_size": 224, "patch_size": 14, "window_size": 8,
                "global_attn_indexes": [1], "pretrain_image_size": 112,
            },
            "fpn_hidden_size": TINY_WIDTH,
            "scale_factors": [4.0, 2.0, 1.0, 0.5],
            "backbone_feature_sizes": [[64, 64], [32, 32], [16, 16], [8, 8]],
        },
        "text_config": {
            "model_type": "clip_text_model", "vocab_size": 49408, "hidden_size": 16, "intermediate_size": 64,
            "num_hidden_layers": 2, "num_attention_heads": 2, "max_position_embeddings": 32, "projection_dim": 16,
            "hidden_act": "gelu",
        },
        # Box exemplars (graph detector_boxes): one geometry layer, 2×2 ROI pooling.
        "geometry_encoder_config": {"hidden_size": TINY_WIDTH, "num_layers": 1, "intermediate_size": 128,
                                    "roi_size": 2},
        "detr_encoder_config": {"hidden_size": TINY_WIDTH, "num_layers": 1, "intermediate_size": 128},
        "detr_decoder_config": {"hidden_size": TINY_WIDTH, "num_layers": 2, "intermediate_size": 128,
                                "num_queries": 16},
        "mask_decoder_config": {"hidden_size": TINY_WIDTH},
    },
}


def sam3_concept_config(preset: str):
    from transformers import Sam3Config

    if preset not in CONCEPT_PRESETS:
        raise ValueError(f"preset must be one of {', '.join(CONCEPT_PRESETS)}, not {preset!r}")
    return Sam3Config(**CONCEPT_PRESETS[preset])


def build_sam3_concept(preset: str = "full", checkpoint: str | None = None, random_init: bool = False, seed: int = 0):
    """A Sam3Model in eval mode: ``from_pretrained(checkpoint)``, or the preset with weights that test something
    (concept_init.init_test_weights: scores, presence and masks that vary with the image and the prompt)."""
    from transformers import Sam3Model

    if checkpoint is not None:
        return load_pretrained(Sam3Model, checkpoint, "SAM3 (facebook/sam3)")
    if not random_init:
        raise ValueError("build_sam3_concept: give a checkpoint, or random_init=True for random weights")
    from .concept_init import init_test_weights

    torch.manual_seed(seed)
    model = Sam3Model(sam3_concept_config(preset)).eval().float()
    init_test_weights(model, seed)
    return model


def preprocessor_config(checkpoint: str | None) -> tuple[str, dict] | None:
    """(file, image processor settings) of a checkpoint folder: preprocessor_config.json (the hub's layout), or the
    "image_processor" entry of processor_config.json (what Sam3Processor.save_pretrained writes); None without."""
    if not checkpoint:
        return None
    folder = os.path.expanduser(checkpoint)
    for name, key in (("preprocessor_config.json", None), ("processor_config.json", "image_processor")):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            with open(path) as f:
                cfg = json.load(f)
            cfg = cfg.get(key) if key else cfg
            if isinstance(cfg, dict):
                return path, cfg
    return None


def image_settings(checkpoint: str | None, model_size: int) -> dict:
    """size / mean / std from the checkpoint's image processor settings (without them: the model's image size and
    SAM3's mean and std).

    The library computes ``(pixel / 255 − mean) / std`` after a bilinear stretch to S×S; a different rescale factor
    is folded into mean and std, and do_normalize=false becomes mean 0, std 1.
    """
    found = preprocessor_config(checkpoint)
    if found is None:
        return {"size": model_size, "mean": list(DEFAULT_MEAN), "std": list(DEFAULT_STD)}
    path, cfg = found
    size = cfg.get("size") or {"height": model_size, "width": model_size}
    height, width = (size.get("height"), size.get("width")) if isinstance(size, dict) else (size, size)
    if not isinstance(height, int) or height != width:
        raise ValueError(f"{path}: size {size} is not a square height × width; the package stretches to S×S")
    if cfg.get("resample", 2) != 2:
        raise ValueError(f"{path}: resample {cfg['resample']} is not bilinear (2), the only resize the library does")
    if cfg.get("do_resize", True) is False:
        raise ValueError(f"{path}: do_resize is false; the package always resizes to S×S")
    triple = lambda v: [float(v)] * 3 if isinstance(v, (int, float)) else [float(x) for x in v]  # noqa: E731
    normalize = cfg.get("do_normalize", True)
    mean = triple(cfg.get("image_mean", DEFAULT_MEAN)) if normalize else [0.0, 0.0, 0.0]
    std = triple(cfg.get("image_std", DEFAULT_STD)) if normalize else [1.0, 1.0, 1.0]
    rescale = cfg.get("rescale_factor", 1 / 255) if cfg.get("do_rescale", True) else 1.0
    k = 1 / (255 * rescale)  # (pixel·r − mean)/std = (pixel/255 − mean·k)/(std·k)
    if abs(k - 1) > 1e-9:
        mean, std = [m * k for m in mean], [s * k for s in std]
    return {"size": int(height), "mean": [float(m) for m in mean], "std": [float(s) for s in std]}


def tokenizer_pad_id(checkpoint: str | None) -> int:
    """The pad id of the checkpoint's own tokenizer; CLIP's <|endoftext|> when it brings none."""
    folder = os.path.expanduser(checkpoint) if checkpoint else None
    if not folder or not os.path.isfile(os.path.join(folder, "tokenizer.json")):
        return CLIP_PAD_ID
    from transformers import AutoTokenizer

    pad = AutoTokenizer.from_pretrained(folder).pad_token_id
    return CLIP_PAD_ID if pad is None else int(pad)


def concept_dims(model, checkpoint: str | None = None) -> dict:
    """The package dims this model implies (read from its config, so a checkpoint's own config wins)."""
    cfg = model.config
    vc = cfg.vision_config
    bc = vc.backbone_config
    if list(vc.scale_factors[:USED_LEVELS]) != USED_SCALES:
        raise ValueError(f"vision_config.scale_factors {vc.scale_factors} must start with {USED_SCALES}")
    image_size, patch = int(bc.image_size), int(bc.patch_size)
    grid = image_size // patch
    image = image_settings(checkpoint, image_size)
    if image["size"] != image_size:
        raise ValueError(f"preprocessor_config.json resizes to {image['size']}, the model's ViT takes {image_size}")
    return {
        "image_size": image_size, "resize": "stretch", "mean": image["mean"], "std": image["std"],
        "embedding_channels": int(vc.fpn_hidden_size), "embedding_size": [grid, grid],
        "text_features": int(cfg.detr_encoder_config.hidden_size),
        "queries": int(cfg.detr_decoder_config.num_queries), "mask_size": 4 * grid,
        "context_length": int(cfg.text_config.max_position_embeddings), "pad_id": tokenizer_pad_id(checkpoint),
    }


@contextlib.contextmanager
def materialized_masks():
    """Within it, Sam3Model and its CLIP text tower always build their attention masks from the attention_mask
    tensor, never a shortcut.

    transformers skips the mask (returns None, or lets SDPA use is_causal) when it sees no padding, deciding by the
    mask's values (``padding_mask.all()``) unless it detects tracing. Where that detection fails (it depends on the
    transformers and torch versions), a tracing batch without padding freezes the graph to attend to padded tokens:
    it matches PyTorch on the tracing inputs and is far off on every padded prompt (15–30% of the logits' scale
    with tracing detection switched off on transformers 5.24; the mean-pooling in the scores still reads the mask,
    so the input does not even look unused). The skip only saves work when nothing is padded, so turning it off
    changes no value.
    """
    from transformers.models.clip import modeling_clip
    from transformers.models.sam3 import modeling_sam3

    saved = modeling_sam3.create_bidirectional_mask, modeling_clip.create_causal_mask
    modeling_sam3.create_bidirectional_mask = functools.partial(saved[0], allow_is_bidirectional_skip=False)
    modeling_clip.create_causal_mask = functools.partial(saved[1], allow_is_causal_skip=False)
    try:
        yield
    finally:
        modeling_sam3.create_bidirectional_mask, modeling_clip.create_causal_mask = saved


class ConceptImageEncoder(nn.Module):
    """pixel_values [1,3,S,S] → the three FPN levels Sam3Model.forward uses (``get_vision_features``), then the
    tracker's image_embeddings, high_res_feats_0, high_res_feats_1 (common.TrackerImageEncoder: its neck,
    conv_s0/conv_s1, the no-memory token added to the 1× level) on the same ViT output: the ViT runs once."""

    def __init__(self, model, tracker):
        super().__init__()
        self.model = model
        self.tracker_features = TrackerImageEncoder(tracker)
        # transformers tiles the ViT's pretraining-size position embeddings with Tile on a traced size (a Concat with
        # a declared shape ONNX Runtime rejects at load, and computed Tile repeats TensorRT takes for shape tensors);
        # the tracker export's gather with constant indices is the same tiling.
        model.vision_encoder.backbone.embeddings._tile_position_embeddings = _tile_by_gather

    def forward(self, pixel_values: torch.Tensor):
        vision = self.model.get_vision_features(pixel_values)
        levels = tuple(vision.fpn_hidden_states[:USED_LEVELS])
        with vit_output_reused(self.tracker_features.model, vision.last_hidden_state):
            return levels + tuple(self.tracker_features(pixel_values))


class ConceptTextEncoder(nn.Module):
    """input_ids, attention_mask [B,L] → text_features [B,L,T] (``get_text_features(...).pooler_output``: the text
    tower's per-token states projected to the detector's width; padded positions are masked later, by the mask)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        with materialized_masks():
            return self.model.get_text_features(input_ids=input_ids, attention_mask=attention_mask).pooler_output


class ConceptDetector(nn.Module):
    """fpn_feats_0/1/2 (one image), text_features [B,L,T], attention_mask [B,L] → Sam3Model.forward's pred_logits,
    pred_boxes (xyxy, 0–1), pred_masks (logits) and presence_logits for each of the B prompts.

    The image's features are broadcast to the prompt batch (an Expand), as if the image had been given B times. The
    FPN position encodings depend only on the level shapes (a normalized sine encoding, no weights), so they are
    built here once and stored as constants.
    """

    def __init__(self, model, embedding_size):
        super().__init__()
        self.model = model
        h, w = (int(v) for v in embedding_size)
        channels = int(model.config.vision_config.fpn_hidden_size)
        encode = model.vision_encoder.neck.position_encoding
        with torch.no_grad():
            for i, scale in enumerate(USED_SCALES):
                shape = torch.Size((1, channels, int(h * scale), int(w * scale)))
                pe = encode(shape, torch.device("cpu"), torch.float32)
                self.register_buffer(f"position_encoding_{i}", pe.detach().clone(), persistent=False)

    def forward(self, fpn_feats_0, fpn_feats_1, fpn_feats_2, text_features, attention_mask):
        return self._run(fpn_feats_0, fpn_feats_1, fpn_feats_2, text_features, attention_mask)

    def _run(self, fpn_feats_0, fpn_feats_1, fpn_feats_2, text_features, attention_mask, **boxes):
        from transformers.modeling_outputs import BaseModelOutputWithPooling
        from transformers.models.sam3.modeling_sam3 import Sam3VisionEncoderOutput

        batch = text_features.shape[0]
        feats = tuple(f.expand(batch, -1, -1, -1) for f in (fpn_feats_0, fpn_feats_1, fpn_feats_2))
        encodings = tuple(getattr(self, f"position_encoding_{i}").expand(batch, -1, -1, -1) for i in range(USED_LEVELS))
        # forward drops the last level (fpn_hidden_states[:-1]): the unused fourth one, absent here, stands as None.
        vision = Sam3VisionEncoderOutput(fpn_hidden_states=feats + (None,), fpn_position_encoding=encodings + (None,))
        with materialized_masks():
            out = self.model(vision_embeds=vision, text_embeds=BaseModelOutputWithPooling(pooler_output=text_features),
                             attention_mask=attention_mask, **boxes)
        return out.pred_logits, out.pred_boxes, out.pred_masks, out.presence_logits


class ConceptBoxDetector(ConceptDetector):
    """ConceptDetector with box exemplars: + input_boxes [B,nb,4] (cx, cy, w, h on the 0–1 scale of the image, what
    Sam3Processor gives Sam3Model) and input_boxes_labels int64 [B,nb] (1 positive, 0 negative, -10 a padding box
    that is ignored, so prompts with fewer boxes can share a batch). The text prompt stays: Sam3Model attends to
    the text tokens and the boxes' geometry tokens together (Sam3Processor's text for boxes alone is "visual")."""

    def forward(self, fpn_feats_0, fpn_feats_1, fpn_feats_2, text_features, attention_mask, input_boxes,
                input_boxes_labels):
        with batched_box_pooling(self.model):
            return self._run(fpn_feats_0, fpn_feats_1, fpn_feats_2, text_features, attention_mask,
                             input_boxes=input_boxes, input_boxes_labels=input_boxes_labels)


# Defaults of the library's post-processing (manifest "thresholds"): instance score σ(logit)·σ(presence) and mask
# probability σ(mask logit), those of SAM3's own demo.
SCORE_THRESHOLD = 0.5
MASK_THRESHOLD = 0.5


# The tracker's random weights are drawn from seed + 1, so the concept model's stay those of the seed alone.
TRACKER_SEED_OFFSET = 1
DETECTOR_OUTPUTS = ["pred_logits", "pred_boxes", "pred_masks", "presence_logits"]
TRACKER_FEATURES = ["image_embeddings", "high_res_feats_0", "high_res_feats_1"]


@dataclass
class ConceptModules:
    """The sam3-concept graphs' modules around one Sam3Model and its Sam3TrackerModel (which shares its ViT), and
    the package dims (concept_dims, and tracker_dims under "tracker")."""

    family: str
    model: nn.Module
    tracker: nn.Module
    image_encoder: nn.Module
    text_encoder: nn.Module
    detector: nn.Module
    detector_boxes: nn.Module
    prompt_encoder: nn.Module
    mask_decoder: nn.Module
    dims: dict
    tokenizer_checkpoint: str | None = None  # the Sam3 checkpoint folder: its own tokenizer.json, if it has one

    def graph_specs(self) -> list[GraphSpec]:
        d = self.dims
        S, (h, w), C, T, L = (d["image_size"], d["embedding_size"], d["embedding_channels"], d["text_features"],
                              d["context_length"])
        Q, m = d["queries"], d["mask_size"]
        # Tracing inputs: seeded values and two prompts of different lengths, so nothing traces on a degenerate
        # (all-zero, all-valid) case. The tests feed other images, prompts, batch sizes and mask lengths.
        gen = torch.Generator().manual_seed(0)
        pixels = torch.randn(1, 3, S, S, generator=gen)
        ids = torch.full((2, L), d["pad_id"], dtype=torch.int64)
        mask = torch.zeros(2, L, dtype=torch.int64)
        for b, n in enumerate((3, 6)):
            ids[b, :n] = torch.randint(256, 49406, (n,), generator=gen)
            ids[b, 0], ids[b, n - 1] = 49406, 49407
            mask[b, :n] = 1
        feats = [torch.randn(1, C, int(h * s), int(w * s), generator=gen) for s in USED_SCALES]
        text = torch.randn(2, L, T, generator=gen)
        # Two boxes per prompt, a positive and a negative one in the first: both label embeddings are used.
        centres, sizes = 0.2 + 0.6 * torch.rand(2, 2, 2, generator=gen), 0.1 + 0.4 * torch.rand(2, 2, 2, generator=gen)
        boxes = torch.cat([centres, sizes], dim=-1)
        box_labels = torch.tensor([[1, 0], [1, 1]], dtype=torch.int64)
        tk = d["tracker"]
        tC, (th, tw) = tk["embedding_channels"], tk["embedding_size"]
        tracker_feats = [torch.randn(1, tC, th, tw, generator=gen),
                         torch.randn(1, tC // 8, 4 * th, 4 * tw, generator=gen),
                         torch.randn(1, tC // 4, 2 * th, 2 * tw, generator=gen)]
        prompts = torch.randn(2, 3, tC, generator=gen)
        feat_names = [f"fpn_feats_{i}" for i in range(USED_LEVELS)]
        B = {0: "B"}
        outputs = DETECTOR_OUTPUTS
        detector_shapes = {"pred_logits": ["B", Q], "pred_boxes": ["B", Q, 4], "pred_masks": ["B", Q, m, m],
                           "presence_logits": ["B", 1]}
        points = {0: "B", 1: "n"}
        return [
            GraphSpec("image_encoder", self.image_encoder, (pixels,), ["pixel_values"], feat_names + TRACKER_FEATURES),
            GraphSpec("text_encoder", self.text_encoder, (ids, mask), ["input_ids", "attention_mask"],
                      ["text_features"], {"input_ids": B, "attention_mask": B, "text_features": B}),
            GraphSpec("detector", self.detector, (*feats, text, mask), feat_names + ["text_features", "attention_mask"],
                      outputs, {"text_features": B, "attention_mask": B, **{o: B for o in outputs}},
                      output_shapes=detector_shapes),
            GraphSpec("detector_boxes", self.detector_boxes, (*feats, text, mask, boxes, box_labels),
                      feat_names + ["text_features", "attention_mask", "input_boxes", "input_boxes_labels"], outputs,
                      {"text_features": B, "attention_mask": B, "input_boxes": {0: "B", 1: "nb"},
                       "input_boxes_labels": {0: "B", 1: "nb"}, **{o: B for o in outputs}},
                      output_shapes=detector_shapes),
            # The tracker graphs as the tracker families export them (package_writer.tracker_graphs).
            GraphSpec("prompt_encoder", self.prompt_encoder, prompt_encoder_example(S),
                      ["input_points", "input_labels"], ["sparse_embeddings"],
                      {"input_points": points, "input_labels": points, "sparse_embeddings": points},
                      output_shapes={"sparse_embeddings": ["B", "n", tC]}),
            GraphSpec("mask_decoder", self.mask_decoder, (*tracker_feats, prompts),
                      TRACKER_FEATURES + ["prompt_embeds"], ["masks", "iou_scores"],
                      {"prompt_embeds": {0: "B", 1: "N"}, "masks": B, "iou_scores": B}),
        ]

    def manifest_fields(self) -> dict:
        d, tk = self.dims, self.dims["tracker"]
        return {
            "image": {"size": d["image_size"], "resize": d["resize"], "mean": list(d["mean"]), "std": list(d["std"])},
            "tokenizer": {"contextLength": d["context_length"], "padId": d["pad_id"], "lowercase": True,
                          "attentionMask": True},
            "dims": {"embeddingChannels": d["embedding_channels"], "embeddingSize": list(d["embedding_size"]),
                     "textFeatures": d["text_features"], "queries": d["queries"]},
            "mask": {"size": d["mask_size"]},
            "thresholds": {"score": SCORE_THRESHOLD, "mask": MASK_THRESHOLD},
            "tracker": {"embeddingChannels": tk["embedding_channels"], "embeddingSize": list(tk["embedding_size"]),
                        "maskSize": tk["mask_size"], "candidates": tk["candidates"]},
        }

    def write(self, out_dir: str, **kwargs) -> dict:
        """write_graph_package with these graphs; kwargs: name, tokenizer_json_path, precision, weights, log."""
        return write_graph_package(out_dir, family=self.family, graphs=self.graph_specs(),
                                   fields=self.manifest_fields(), **kwargs)


def concept_modules(model, tracker, checkpoint: str | None = None) -> ConceptModules:
    """Wraps a Sam3Model and its tracker (their weights as they are now: the detectors snapshot the position
    encodings, the mask decoder the tracker's dense and positional embeddings)."""
    model, tracker = model.eval(), tracker.eval()
    dims = concept_dims(model, checkpoint)
    dims["tracker"] = tracker_dims(tracker)
    if dims["tracker"]["embedding_size"] != dims["embedding_size"]:
        raise ValueError(f"the tracker's grid {dims['tracker']['embedding_size']} is not the ViT's "
                         f"{dims['embedding_size']}")
    return ConceptModules(
        family="sam3-concept", model=model, tracker=tracker, image_encoder=ConceptImageEncoder(model, tracker).eval(),
        text_encoder=ConceptTextEncoder(model).eval(), detector=ConceptDetector(model, dims["embedding_size"]).eval(),
        detector_boxes=ConceptBoxDetector(model, dims["embedding_size"]).eval(),
        prompt_encoder=PointPromptEncoder(tracker).eval(), mask_decoder=TrackerMaskDecoder(tracker).eval(),
        dims=dims, tokenizer_checkpoint=checkpoint,
    )


def build_concept_modules(preset: str = "full", *, checkpoint: str | None = None, random_init: bool = False,
                          seed: int = 0) -> ConceptModules:
    """The concept model and its tracker from one checkpoint folder (facebook/sam3's layout), or both random."""
    if checkpoint is None and not random_init:
        raise ValueError("give --sam-checkpoint (facebook/sam3's folder), or --random-init")
    model = build_sam3_concept(preset, checkpoint=checkpoint, random_init=random_init, seed=seed)
    tracker = build_concept_tracker(model, preset, checkpoint, seed + TRACKER_SEED_OFFSET)
    return concept_modules(model, tracker, checkpoint)
