"""SAM 1 (transformers SamModel, e.g. facebook/sam-vit-huge) as image encoder + mask decoder.

No high-res features: the decoder upsamples the 64×64 embedding by itself. Images are resized longest side to S
and padded bottom-right, normalized with ImageNet mean/std.
"""

from __future__ import annotations

import torch
from torch import nn

from .common import DecoderWrapper, load_pretrained, seeded_random_init

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]

SAM_PRESETS: dict[str, dict] = {
    # facebook/sam-vit-huge: ViT-H, S=1024, patch 16 → 64×64, masks 256.
    "full": dict(image_size=1024, patch_size=16, hidden_size=1280, num_hidden_layers=32, num_attention_heads=16,
                 mlp_dim=5120, window_size=14, global_attn_indexes=[7, 15, 23, 31], decoder_mlp_dim=2048,
                 decoder_layers=2),
    # Same architecture, tiny: S=256 → 16×16 embeddings, masks 64.
    "tiny": dict(image_size=256, patch_size=16, hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                 mlp_dim=128, window_size=4, global_attn_indexes=[1], decoder_mlp_dim=256, decoder_layers=1),
}


def sam_config(preset: str):
    from transformers import SamConfig

    p = SAM_PRESETS[preset]
    grid = p["image_size"] // p["patch_size"]
    return SamConfig(
        vision_config={
            "image_size": p["image_size"], "patch_size": p["patch_size"], "hidden_size": p["hidden_size"],
            "num_hidden_layers": p["num_hidden_layers"], "num_attention_heads": p["num_attention_heads"],
            "mlp_dim": p["mlp_dim"], "window_size": p["window_size"],
            "global_attn_indexes": p["global_attn_indexes"], "output_channels": 256,
        },
        prompt_encoder_config={"image_size": p["image_size"], "patch_size": p["patch_size"],
                               "image_embedding_size": grid},
        mask_decoder_config={"mlp_dim": p["decoder_mlp_dim"], "num_hidden_layers": p["decoder_layers"]},
    )


def build(preset: str = "full", checkpoint: str | None = None, random_init: bool = False, seed: int = 0):
    from transformers import SamModel

    if checkpoint is not None:
        return load_pretrained(SamModel, checkpoint, "SAM (facebook/sam-vit-huge)")
    if not random_init:
        raise ValueError("build: give a checkpoint, or random_init=True for random weights")
    return seeded_random_init(lambda: _with_usable_neck(SamModel(sam_config(preset))), seed)


def _with_usable_neck(model):
    """transformers' random init of SAM's vision encoder leaves activations ~1e-9 and image embeddings ~1e-20
    (LayerNorm cannot rescale below its eps): useless for parity checks and zero in FP16. PyTorch's default init
    of its convolutions and linear layers gives activations of order 1."""
    for module in model.vision_encoder.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            module.reset_parameters()
    return model


def dims(model) -> dict:
    vc, pc = model.config.vision_config, model.config.prompt_encoder_config
    g = int(pc.image_embedding_size)
    return {
        "image_size": int(vc.image_size), "embedding_channels": int(vc.output_channels),
        "embedding_size": [g, g], "high_res_features": False,
        "prompt_embedding": int(model.config.mask_decoder_config.hidden_size), "mask_size": 4 * g,
        "candidates": int(model.config.mask_decoder_config.num_multimask_outputs),
        "resize": "longest-side", "mean": IMAGENET_MEAN, "std": IMAGENET_STD,
    }


class ImageEncoder(nn.Module):
    """pixel_values [1,3,S,S] → image_embeddings [1,256,h,w] (the ViT + neck output)."""

    def __init__(self, model):
        super().__init__()
        self.vision_encoder = model.vision_encoder

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.vision_encoder(pixel_values).last_hidden_state


class MaskDecoder(DecoderWrapper):
    def __init__(self, model):
        super().__init__(model, high_res=False)


# No interactive path: SAM 1's prompt encoder embeds a box as its two corners with no padding token after them
# (SAM 2 and the SAM3 tracker add one), so the library's token rule (docs/model-package.md) does not fit it.
PromptEncoder = None


def init_projection_tokens(projection, model) -> None:
    pe = model.prompt_encoder
    projection.init_from_sam(not_a_point_embed=pe.not_a_point_embed.weight, point_embed=pe.point_embed[1].weight)
