"""CLIP image tower (transformers CLIPVisionModelWithProjection) as the package's image_tower graph: the image
embedding that prompt suggestions compare with the text tower's embeddings of a vocabulary."""

from __future__ import annotations

import json
import os

import torch
from torch import nn

from .common import build_model

# OpenAI CLIP's preprocessing (transformers' OPENAI_CLIP_MEAN / OPENAI_CLIP_STD, CLIPImageProcessor's sizes).
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
CLIP_IMAGE_SIZE = 224

CLIP_VISION_PRESETS: dict[str, dict] = {
    # openai/clip-vit-large-patch14 vision tower: 24 layers, width 1024, patch 14; projection 768 (the text tower's).
    "full": dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16,
                 patch_size=14, projection_dim=768),
    # Tiny width and large patches; projection_dim stays 768 so image and text embeddings share one space.
    "tiny": dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                 patch_size=32, projection_dim=768),
}


def clip_vision_config(preset: str):
    from transformers import CLIPVisionConfig

    return CLIPVisionConfig(image_size=CLIP_IMAGE_SIZE, hidden_act="quick_gelu", **CLIP_VISION_PRESETS[preset])


def build_clip_image(preset: str = "full", checkpoint: str | None = None, random_init: bool = False, seed: int = 0):
    """CLIPVisionModelWithProjection in eval mode, from a full CLIP checkpoint (the one the text tower comes from)."""
    from transformers import CLIPVisionModelWithProjection

    return build_model(CLIPVisionModelWithProjection, clip_vision_config, preset, checkpoint, random_init, seed,
                       "CLIP (openai/clip-vit-large-patch14)", "build_clip_image")


def image_tower_spec(model, checkpoint: str | None = None) -> dict:
    """The manifest's imageTower: CLIPImageProcessor's settings from the checkpoint's preprocessor_config.json when
    it has one, else OpenAI CLIP's. The crop is square: the graph's input is [1,3,T,T]."""
    size, mean, std = int(model.config.image_size), CLIP_MEAN, CLIP_STD
    config_path = os.path.join(os.path.expanduser(checkpoint), "preprocessor_config.json") if checkpoint else None
    if config_path and os.path.isfile(config_path):
        with open(config_path) as f:
            pre = json.load(f)
        crop = pre.get("crop_size", size)
        crop = crop.get("height", size) if isinstance(crop, dict) else int(crop)
        shortest = pre.get("size", crop)
        shortest = shortest.get("shortest_edge", crop) if isinstance(shortest, dict) else int(shortest)
        if crop != size or shortest != size:
            raise ValueError(f"{config_path}: resize {shortest} / crop {crop} differ from the tower's {size}")
        mean, std = pre.get("image_mean", mean), pre.get("image_std", std)
    return {"size": size, "resize": "shortest-side-center-crop", "mean": [float(v) for v in mean],
            "std": [float(v) for v in std], "embedding": int(model.config.projection_dim)}


class ClipImageTower(nn.Module):
    """pixel_values [1,3,T,T] → image_embeds [1,D] (CLIP's projected image embedding, not normalized)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.model(pixel_values=pixel_values).image_embeds
