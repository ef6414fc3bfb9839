"""SAM 2.1 (transformers Sam2Model, e.g. facebook/sam2.1-hiera-large) as image encoder + mask decoder.

The single-image path is the SAM 2 tracker's without memory, like SAM3's: high-res features through
conv_s0/conv_s1 and the no-memory token on the 64×64 embedding (common.TrackerImageEncoder).
"""

from __future__ import annotations

from .common import TrackerImageEncoder, TrackerMaskDecoder, build_model, init_tracker_projection_tokens
from .prompt_encoder import PointPromptEncoder
from .sam import IMAGENET_MEAN, IMAGENET_STD

SAM2_PRESETS: dict[str, dict] = {
    # facebook/sam2.1-hiera-large: S=1024, features at strides 4/8/16 → 256², 128², 64²; masks 256.
    "full": dict(image_size=1024, hidden_size=144, num_attention_heads=2, blocks_per_stage=[2, 6, 36, 4],
                 embed_dim_per_stage=[144, 288, 576, 1152], num_attention_heads_per_stage=[2, 4, 8, 16],
                 window_size_per_stage=[8, 4, 16, 8], global_attention_blocks=[23, 33, 43],
                 window_positional_embedding_background_size=[7, 7], decoder_mlp_dim=2048, decoder_layers=2),
    # Same architecture, tiny: S=256 → 16×16 embeddings, masks 64, high-res 64² and 32². A global-attention block
    # may not be the first (query-pooling) block of a stage, hence two blocks in stage 2 and global block 2.
    "tiny": dict(image_size=256, hidden_size=16, num_attention_heads=1, blocks_per_stage=[1, 2, 1, 1],
                 embed_dim_per_stage=[16, 32, 64, 128], num_attention_heads_per_stage=[1, 1, 1, 1],
                 window_size_per_stage=[8, 4, 4, 4], global_attention_blocks=[2],
                 window_positional_embedding_background_size=[7, 7], decoder_mlp_dim=256, decoder_layers=1),
}


def sam2_config(preset: str):
    from transformers import Sam2Config

    p = dict(SAM2_PRESETS[preset])
    S = p.pop("image_size")
    dec = {"mlp_dim": p.pop("decoder_mlp_dim"), "num_hidden_layers": p.pop("decoder_layers")}
    g = S // 16
    backbone = {"model_type": "sam2_hiera_det_model", "image_size": [S, S], **p}
    vision = {
        "model_type": "sam2_vision_model", "backbone_config": backbone,
        "backbone_channel_list": list(reversed(p["embed_dim_per_stage"])),
        "backbone_feature_sizes": [[4 * g, 4 * g], [2 * g, 2 * g], [g, g]],
    }
    return Sam2Config(vision_config=vision, prompt_encoder_config={"image_size": S, "patch_size": 16},
                      mask_decoder_config=dec)


def build(preset: str = "full", checkpoint: str | None = None, random_init: bool = False, seed: int = 0):
    from transformers import Sam2Model

    return build_model(Sam2Model, sam2_config, preset, checkpoint, random_init, seed,
                       "SAM 2.1 (facebook/sam2.1-hiera-large)", "build")


def dims(model) -> dict:
    g = list(model.backbone_feature_sizes[-1])
    pc = model.config.prompt_encoder_config
    return {
        "image_size": int(pc.image_size), "embedding_channels": int(model.config.mask_decoder_config.hidden_size),
        "embedding_size": [int(g[0]), int(g[1])], "high_res_features": True,
        "prompt_embedding": int(model.config.mask_decoder_config.hidden_size), "mask_size": int(4 * g[0]),
        "candidates": int(model.config.mask_decoder_config.num_multimask_outputs),
        "resize": "stretch", "mean": IMAGENET_MEAN, "std": IMAGENET_STD,
    }


ImageEncoder = TrackerImageEncoder


MaskDecoder = TrackerMaskDecoder
PromptEncoder = PointPromptEncoder
init_projection_tokens = init_tracker_projection_tokens
