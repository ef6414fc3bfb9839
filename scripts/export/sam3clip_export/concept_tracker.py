"""The SAM3 tracker (transformers Sam3TrackerModel) inside a sam3-concept package, on the concept model's ViT.

facebook/sam3 holds one ViT for both heads: transformers maps its ``detector_model.vision_encoder.backbone.*`` to
the tracker's ``vision_encoder.backbone.*`` (conversion_mapping "sam3_tracker"), and ``tracker_neck.*`` /
``tracker_model.*`` to the tracker's own FPN neck, prompt encoder and mask decoder. So the package runs the ViT
once per image and feeds its output to both necks (the detector's and the tracker's); the tracker here is built
so that this is exact (same ViT config and weights, checked), and its ViT module is then the concept model's.
"""

from __future__ import annotations

import contextlib
import os

import torch
from torch import nn

from .common import seeded_random_init

# The tracker's FPN / decoder width. Its decoder's conv_s0 / conv_s1 turn the two finest levels into C/8 and C/4
# channels, which the tracker families' contract fixes at 32 and 64, so the tiny build keeps SAM3's 256 here even
# though the tiny concept model's own FPN is 64 wide.
TRACKER_WIDTH = 256
# The tiny build's decoder: the tracker family's tiny sizes (sam3_tracker.SAM3_PRESETS["tiny"]).
TRACKER_DECODER = {"full": {}, "tiny": {"mlp_dim": 256, "num_hidden_layers": 1, "num_attention_heads": 8}}
# Levels of the tracker's neck: ×4, ×2, ×1 of the patch grid, all the decoder uses. (facebook/sam3's neck also has
# a ×0.5 level, which Sam3TrackerModel.forward wrongly gives the no-memory token to; with three levels transformers'
# forward and the official image predictor agree, so the committed references come straight from transformers.)
TINY_TRACKER_SCALES = [4.0, 2.0, 1.0]
# The learned no-memory token is zero at transformers' init, which would hide a token added at the wrong level
# (or not at all); the tiny build draws it at about the 1× level's own scale.
NO_MEMORY_STD = 0.1


def concept_tracker_config(concept, preset: str):
    """A Sam3TrackerConfig whose ViT is the concept model's (same backbone config, same image size)."""
    from transformers import Sam3TrackerConfig

    vc = concept.config.vision_config
    bc = vc.backbone_config
    S, patch = int(bc.image_size), int(bc.patch_size)
    g = S // patch
    scales = TINY_TRACKER_SCALES if preset == "tiny" else [4.0, 2.0, 1.0, 0.5]
    vision = {
        "model_type": "sam3_vision_model", "backbone_config": bc.to_dict(), "fpn_hidden_size": TRACKER_WIDTH,
        "scale_factors": scales, "backbone_feature_sizes": [[4 * g, 4 * g], [2 * g, 2 * g], [g, g]],
    }
    return Sam3TrackerConfig(vision_config=vision, prompt_encoder_config={"image_size": S, "patch_size": patch},
                             mask_decoder_config=dict(TRACKER_DECODER[preset]))


def load_concept_tracker(checkpoint: str):
    """``Sam3TrackerModel.from_pretrained(checkpoint)``, refusing a folder without the tracker's weights (a plain
    Sam3Model save): from_pretrained would leave its prompt encoder and decoder at random, and with SAM3's sizes
    silently take the detector's neck for the tracker's."""
    from transformers import Sam3TrackerModel

    path = os.path.expanduser(checkpoint)
    try:
        tracker, info = Sam3TrackerModel.from_pretrained(path, output_loading_info=True)
    except (OSError, RuntimeError, ValueError) as err:
        raise ValueError(f"{checkpoint}: cannot load the SAM3 tracker (Sam3TrackerModel) from it: {err}") from err
    missing = [k for k in info.get("missing_keys", []) if not k.startswith("vision_encoder.backbone.")]
    if missing:
        raise ValueError(
            f"{checkpoint} has no SAM3 tracker weights ({len(missing)} missing, e.g. {missing[0]}): a sam3-concept "
            "package needs facebook/sam3's full folder (detector_model.*, tracker_model.*, tracker_neck.*)")
    return tracker.eval().float()


def random_concept_tracker(concept, preset: str, seed: int):
    """A seeded random tracker (common.seeded_random_init: IoU head scaled so the candidates' IoUs spread) with the
    concept model's ViT weights copied in, as the official checkpoint has them."""
    from transformers import Sam3TrackerModel

    config = concept_tracker_config(concept, preset)
    tracker = seeded_random_init(lambda: Sam3TrackerModel(config), seed)
    with torch.no_grad():
        tracker.vision_encoder.backbone.load_state_dict(concept.vision_encoder.backbone.state_dict())
        gen = torch.Generator().manual_seed(seed)
        tracker.no_memory_embedding.copy_(torch.randn(tracker.no_memory_embedding.shape, generator=gen) * NO_MEMORY_STD)
    return tracker


# Config entries that say how a model was saved or loaded, not what it computes.
NOT_ARCHITECTURE = {"dtype", "torch_dtype", "transformers_version", "architectures"}


def _architecture(config) -> dict:
    return {k: v for k, v in config.to_dict().items() if k not in NOT_ARCHITECTURE and not k.startswith("_")}


def check_same_vit(concept, tracker) -> None:
    """The package runs the concept model's ViT for the tracker too: a tracker whose ViT differs (a fine-tuned
    tracker, a mismatched folder) cannot be represented, so it is refused rather than exported wrong."""
    a, b = concept.vision_encoder.backbone, tracker.vision_encoder.backbone
    ca, cb = _architecture(a.config), _architecture(b.config)
    if ca != cb:
        differ = sorted(k for k in set(ca) | set(cb) if ca.get(k) != cb.get(k))
        raise ValueError(f"the SAM3 tracker's ViT config differs from the detector's ({', '.join(differ)}); the "
                         "package runs one ViT")
    sa, sb = a.state_dict(), b.state_dict()
    differ = sorted(k for k in sa if k not in sb or not torch.equal(sa[k], sb[k]))
    if differ or set(sb) - set(sa):
        raise ValueError(f"the SAM3 tracker's ViT weights differ from the detector's (e.g. {(differ or ['?'])[0]}); "
                         "the package runs one ViT for both")
    S = int(a.config.image_size)
    if int(tracker.config.prompt_encoder_config.image_size) != S:
        raise ValueError(f"the tracker's prompt encoder works at {tracker.config.prompt_encoder_config.image_size}, "
                         f"the ViT at {S}")


def build_concept_tracker(concept, preset: str, checkpoint: str | None, seed: int):
    """The tracker of a sam3-concept package: from the same checkpoint, or random (seed) with the concept's ViT.
    Its ViT module becomes the concept model's own (checked equal first), so both heads share one in memory."""
    if checkpoint is not None:
        tracker = load_concept_tracker(checkpoint)
    else:
        tracker = random_concept_tracker(concept, preset, seed)
    check_same_vit(concept, tracker)
    tracker.vision_encoder.backbone = concept.vision_encoder.backbone
    return tracker


def tracker_dims(tracker) -> dict:
    """The manifest's ``tracker`` numbers: C and [h, w] of image_embeddings (the 1× level), m = 4h, K."""
    h, w = (int(v) for v in tracker.backbone_feature_sizes[-1])
    channels = int(tracker.config.mask_decoder_config.hidden_size)
    if int(tracker.config.vision_config.fpn_hidden_size) != channels:
        raise ValueError(f"the tracker's neck is {tracker.config.vision_config.fpn_hidden_size} wide, its decoder "
                         f"{channels}")
    return {"embedding_channels": channels, "embedding_size": [h, w], "mask_size": 4 * h,
            "candidates": int(tracker.config.mask_decoder_config.num_multimask_outputs)}


class _GivenViTOutput(nn.Module):
    """Stands in for the tracker's ViT: returns the output the concept model's ViT already computed."""

    def __init__(self, last_hidden_state: torch.Tensor):
        super().__init__()
        self.last_hidden_state = last_hidden_state

    def forward(self, pixel_values, **kwargs):
        from transformers.modeling_outputs import BaseModelOutput

        return BaseModelOutput(last_hidden_state=self.last_hidden_state)


@contextlib.contextmanager
def vit_output_reused(tracker, last_hidden_state: torch.Tensor):
    """Within it, the tracker's vision encoder takes ``last_hidden_state`` [1, h·w, D] as its ViT's output (its neck,
    conv_s0/conv_s1 and the rest run as usual), so the image encoder graph holds the ViT once."""
    vision = tracker.vision_encoder
    saved = vision.backbone
    vision.backbone = _GivenViTOutput(last_hidden_state)
    try:
        yield
    finally:
        vision.backbone = saved


def save_official_layout(folder: str, concept, tracker) -> None:
    """Writes concept + tracker as facebook/sam3's folder holds them: one model.safetensors with
    ``detector_model.*`` (the whole Sam3Model), ``tracker_neck.*`` (the tracker's neck) and ``tracker_model.*``
    (the tracker without its vision encoder), and a sam3_video config.json with both configs. Sam3Model and
    Sam3TrackerModel.from_pretrained both load it (the tests' stand-in for the official checkpoint)."""
    import json

    from safetensors.torch import save_file

    tensors = {f"detector_model.{k}": v for k, v in concept.state_dict().items()}
    for k, v in tracker.state_dict().items():
        if k.startswith("vision_encoder.backbone."):
            continue  # the detector's ViT is the tracker's
        if k.startswith("vision_encoder.neck."):
            tensors["tracker_neck." + k[len("vision_encoder.neck."):]] = v
        else:
            tensors[f"tracker_model.{k}"] = v
    os.makedirs(folder, exist_ok=True)
    save_file({k: v.detach().clone().contiguous() for k, v in tensors.items()},
              os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    config = {"model_type": "sam3_video", "detector_config": concept.config.to_dict(),
              "tracker_config": tracker.config.to_dict()}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
