"""Builds one family's package modules: the tracker families' four (image encoder, text encoder, projection, mask
decoder) or sam3-concept's three (image encoder, text encoder, detector; sam3_concept.ConceptModules). Each kind
knows its graphs and manifest fields and writes itself (``modules.write``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from .clip_text import ClipTextEncoder, build_clip_text, clip_dims
from .package_writer import write_package
from .projection import PromptProjection, load_projection

TRACKER_FAMILIES = ("sam3", "sam2", "sam")
CONCEPT_FAMILY = "sam3-concept"
FAMILIES = TRACKER_FAMILIES + (CONCEPT_FAMILY,)


@dataclass
class PackageModules:
    family: str
    image_encoder: nn.Module
    text_encoder: nn.Module
    projection: nn.Module
    mask_decoder: nn.Module
    dims: dict = field(default_factory=dict)  # keyword arguments of write_package describing the shapes
    tokenizer_checkpoint: str | None = None  # where tokenizer.json comes from (the CLIP checkpoint)

    def write(self, out_dir: str, **kwargs) -> dict:
        """write_package with these modules and dims; kwargs: name, tokenizer_json_path, precision, weights, log."""
        return write_package(out_dir, family=self.family, image_encoder=self.image_encoder,
                             text_encoder=self.text_encoder, projection=self.projection,
                             mask_decoder=self.mask_decoder, **kwargs, **self.dims)


def _family_module(family: str):
    if family == "sam3":
        from . import sam3_tracker as mod
    elif family == "sam2":
        from . import sam2 as mod
    elif family == "sam":
        from . import sam as mod
    else:
        raise ValueError(f"family must be one of {', '.join(TRACKER_FAMILIES)}, not {family!r}")
    return mod


def build_modules(family: str = "sam3", preset: str = "full", *, sam_checkpoint: str | None = None,
                  clip_checkpoint: str | None = None, projection_path: str | None = None,
                  random_init: bool = False, seed: int = 0) -> PackageModules:
    """Real weights from the checkpoints, or (random_init) every part random from ``seed``.

    With random_init the parts use seeds derived from ``seed`` so that rebuilding gives identical weights.
    sam3-concept has no separate CLIP or projection: its one checkpoint is ``sam_checkpoint``.
    """
    if family == CONCEPT_FAMILY:
        from .sam3_concept import build_concept_modules

        if clip_checkpoint is not None or projection_path is not None:
            raise ValueError(f"{CONCEPT_FAMILY} brings its own text tower: no --clip-checkpoint or --projection")
        return build_concept_modules(preset, checkpoint=sam_checkpoint, random_init=random_init, seed=seed)
    mod = _family_module(family)
    if not random_init and (sam_checkpoint is None or clip_checkpoint is None or projection_path is None):
        raise ValueError("give --sam-checkpoint, --clip-checkpoint and --projection, or --random-init")
    sam_model = mod.build(preset, checkpoint=sam_checkpoint, random_init=random_init, seed=seed)
    clip_model = build_clip_text(preset, checkpoint=clip_checkpoint, random_init=random_init, seed=seed + 1)
    sam_dims = mod.dims(sam_model)
    text_dim = clip_dims(clip_model)["text_embedding"]
    if projection_path is not None:
        projection = load_projection(projection_path)
    else:
        torch.manual_seed(seed + 2)
        projection = PromptProjection(text_dim, 512, sam_dims["prompt_embedding"])
        mod.init_projection_tokens(projection, sam_model)
        projection.eval()
    if projection.text_dim != text_dim or projection.prompt_dim != sam_dims["prompt_embedding"]:
        raise ValueError(
            f"projection maps {projection.text_dim}→{projection.prompt_dim}, the models need "
            f"{text_dim}→{sam_dims['prompt_embedding']}"
        )
    cd = clip_dims(clip_model)
    dims = {
        "image_size": sam_dims["image_size"], "resize": sam_dims["resize"], "mean": sam_dims["mean"],
        "std": sam_dims["std"], "embedding_channels": sam_dims["embedding_channels"],
        "embedding_size": sam_dims["embedding_size"], "high_res_features": sam_dims["high_res_features"],
        "text_embedding": text_dim, "prompt_embedding": sam_dims["prompt_embedding"],
        "prompt_tokens": projection.prompt_tokens, "mask_size": sam_dims["mask_size"],
        "candidates": sam_dims["candidates"], "context_length": cd["context_length"], "pad_id": cd["pad_id"],
    }
    return PackageModules(
        family=family,
        image_encoder=mod.ImageEncoder(sam_model).eval(),
        text_encoder=ClipTextEncoder(clip_model).eval(),
        projection=projection.eval(),
        mask_decoder=mod.MaskDecoder(sam_model).eval(),
        dims=dims,
        tokenizer_checkpoint=clip_checkpoint,
    )
