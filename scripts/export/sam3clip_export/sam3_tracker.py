"""SAM3 tracker (transformers Sam3TrackerModel) split into the package's image encoder and mask decoder.

The tracker's single-image path (no memory bank) is: ViT backbone → FPN → conv_s0/conv_s1 on the two finest
levels (precomputed once per image so the decoder does not redo them per prompt) → the coarsest level plus
``no_memory_embedding`` is the image embedding. The decoder then runs with the prompt tokens as its sparse
embeddings, the no-mask dense embedding and the image-wide positional encoding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .common import TrackerImageEncoder, TrackerMaskDecoder, build_model, init_tracker_projection_tokens
from .prompt_encoder import PointPromptEncoder


@dataclass(frozen=True)
class Sam3Preset:
    image_size: int
    patch_size: int
    vit_hidden: int
    vit_intermediate: int
    vit_layers: int
    vit_heads: int
    window_size: int
    global_attn_indexes: tuple[int, ...]
    pretrain_image_size: int
    decoder_mlp_dim: int
    decoder_layers: int
    decoder_heads: int
    # The FPN's scale factors; the tracker uses the first three (stride 4, 8, 16 of the patch grid ×4/×2/×1).
    fpn_scales: tuple[float, ...] = (4.0, 2.0, 1.0, 0.5)
    # The decoder's cross-attention width (256 / rate) and IoU head width: facebook/sam3's unless a preset shrinks
    # them.
    attention_downsample_rate: int = 2
    iou_head_hidden_dim: int = 256

    @property
    def grid(self) -> int:
        return self.image_size // self.patch_size

    @property
    def mask_size(self) -> int:
        return 4 * self.grid


SAM3_PRESETS: dict[str, Sam3Preset] = {
    # facebook/sam3 tracker: ViT-L-ish backbone (1024 wide, 32 layers), S=1008 → 72×72 embeddings, masks 288.
    "full": Sam3Preset(
        image_size=1008, patch_size=14, vit_hidden=1024, vit_intermediate=4736, vit_layers=32, vit_heads=16,
        window_size=24, global_attn_indexes=(7, 15, 23, 31), pretrain_image_size=336,
        decoder_mlp_dim=2048, decoder_layers=2, decoder_heads=8,
    ),
    # The same architecture a few MB in size: S=224 → 16×16 embeddings, masks 64. The FPN/decoder width stays 256
    # because the package contract fixes the high-res channels at 32 and 64 (= 256/8 and 256/4).
    "tiny": Sam3Preset(
        image_size=224, patch_size=14, vit_hidden=64, vit_intermediate=128, vit_layers=2, vit_heads=2,
        window_size=8, global_attn_indexes=(1,), pretrain_image_size=112,
        decoder_mlp_dim=256, decoder_layers=1, decoder_heads=8, fpn_scales=(4.0, 2.0, 1.0),
    ),
    # tiny with two more global-attention ViT layers: telling a red circle from a red square needs the patches of
    # one object to pool their edges, which one global layer barely does. Same widths as tiny, so a tiny
    # checkpoint grows into it (scripts/training/model.py: new layers start as the identity).
    "tiny-deep": Sam3Preset(
        image_size=224, patch_size=14, vit_hidden=64, vit_intermediate=128, vit_layers=4, vit_heads=2,
        window_size=8, global_attn_indexes=(1, 2, 3), pretrain_image_size=112,
        decoder_mlp_dim=256, decoder_layers=1, decoder_heads=8, fpn_scales=(4.0, 2.0, 1.0),
    ),
    # The tracker-only test package (tracker_fixture.py): facebook/sam3's four-level neck (the 0.5× level the
    # tracker drops included, so loading and the no-memory rule are those of the real checkpoint) with tiny's ViT,
    # and a narrower decoder (MLP, cross-attention, IoU head) to keep the committed graphs small.
    "tiny-tracker": Sam3Preset(
        image_size=224, patch_size=14, vit_hidden=64, vit_intermediate=128, vit_layers=2, vit_heads=2,
        window_size=8, global_attn_indexes=(1,), pretrain_image_size=112,
        decoder_mlp_dim=64, decoder_layers=1, decoder_heads=8, attention_downsample_rate=8, iou_head_hidden_dim=32,
    ),
}


def sam3_tracker_config(preset: str):
    from transformers import Sam3TrackerConfig

    p = SAM3_PRESETS[preset]
    g = p.grid
    vision = {
        "model_type": "sam3_vision_model",
        "backbone_config": {
            "model_type": "sam3_vit_model",
            "hidden_size": p.vit_hidden, "intermediate_size": p.vit_intermediate,
            "num_hidden_layers": p.vit_layers, "num_attention_heads": p.vit_heads,
            "image_size": p.image_size, "patch_size": p.patch_size, "window_size": p.window_size,
            "global_attn_indexes": list(p.global_attn_indexes), "pretrain_image_size": p.pretrain_image_size,
        },
        "fpn_hidden_size": 256,
        "scale_factors": list(p.fpn_scales),
        "backbone_feature_sizes": [[4 * g, 4 * g], [2 * g, 2 * g], [g, g]],
    }
    return Sam3TrackerConfig(
        vision_config=vision,
        prompt_encoder_config={"image_size": p.image_size, "patch_size": p.patch_size},
        mask_decoder_config={
            "mlp_dim": p.decoder_mlp_dim, "num_hidden_layers": p.decoder_layers,
            "num_attention_heads": p.decoder_heads, "attention_downsample_rate": p.attention_downsample_rate,
            "iou_head_hidden_dim": p.iou_head_hidden_dim,
        },
    )


def build_sam3_tracker(preset: str = "full", checkpoint: str | None = None, random_init: bool = False, seed: int = 0):
    """A Sam3TrackerModel in eval mode: ``from_pretrained(checkpoint)``, or built from the preset with random weights."""
    from transformers import Sam3TrackerModel

    return build_model(Sam3TrackerModel, sam3_tracker_config, preset, checkpoint, random_init, seed,
                       "SAM3 (facebook/sam3)", "build_sam3_tracker")


def sam3_dims(model) -> dict:
    """The package dims this tracker implies (read from the model so a checkpoint's own config wins)."""
    vc = model.config.vision_config
    g = list(model.backbone_feature_sizes[-1])
    return {
        "image_size": int(vc.backbone_config.image_size if hasattr(vc, "backbone_config") else vc.image_size),
        "embedding_channels": int(model.config.mask_decoder_config.hidden_size),
        "embedding_size": [int(g[0]), int(g[1])],
        "high_res_features": True,
        "prompt_embedding": int(model.config.mask_decoder_config.hidden_size),
        "mask_size": int(4 * g[0]),
        "candidates": int(model.config.mask_decoder_config.num_multimask_outputs),
        "resize": "stretch",
        "mean": [0.5, 0.5, 0.5],
        "std": [0.5, 0.5, 0.5],
    }


class Sam3ImageEncoder(TrackerImageEncoder):
    """pixel_values [1,3,S,S] → image_embeddings [1,256,h,w] (with no_memory_embedding), high_res_feats_0/1.

    The SAM3 neck may emit a fourth, coarser level (scale 0.5) that only the detector uses; the tracker keeps the
    first three, as Sam3TrackerVideoModel and the original SAM3 code do. (Sam3TrackerModel.forward adds the
    no-memory token to that fourth level and then drops it, so there the token has no effect; we follow the
    video tracker, which is what SAM3 runs on a first frame.)
    """

    def __init__(self, model):
        super().__init__(model)
        embeddings = model.vision_encoder.backbone.embeddings
        # The ViT tiles its pretraining-size position embeddings to the patch grid. transformers does it with
        # Tile on a traced size, which exports as a Concat whose declared shape ONNX Runtime rejects (a warning
        # at every load) and a Tile fed by computed repeats, a pattern TensorRT treats as a shape tensor. The
        # same tiling as a gather with constant indices exports cleanly and keeps gradients to the embeddings.
        embeddings._tile_position_embeddings = _tile_by_gather


def _tile_by_gather(position_embeddings: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """[1, P*P, C] → [1, height*width, C], the P×P grid repeated and cropped (Sam3ViTEmbeddings' tiling)."""
    # Sizes as Python ints: the image size is fixed, so under tracing they become constants.
    count, channels = int(position_embeddings.shape[1]), int(position_embeddings.shape[2])
    p = math.isqrt(count)
    grid = position_embeddings.reshape(1, p, p, channels)
    rows = torch.arange(int(height), device=grid.device) % p
    cols = torch.arange(int(width), device=grid.device) % p
    return grid[:, rows][:, :, cols].reshape(1, int(height) * int(width), channels)


Sam3MaskDecoder = TrackerMaskDecoder
init_projection_tokens = init_tracker_projection_tokens


# The names pipeline.build_modules looks up in each family module.
build = build_sam3_tracker
dims = sam3_dims
ImageEncoder = Sam3ImageEncoder
MaskDecoder = Sam3MaskDecoder
PromptEncoder = PointPromptEncoder
