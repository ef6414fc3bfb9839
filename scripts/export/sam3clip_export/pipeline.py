"""Builds one family's package modules: the tracker families' (image encoder and mask decoder; the text path's text
encoder and projection; the interactive path's prompt encoder) or sam3-concept's three (image encoder, text
encoder, detector; sam3_concept.ConceptModules). Each kind knows its graphs and manifest fields and writes itself
(``modules.write``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from .text_towers import build_text_tower
from .package_writer import write_package
from .projection import PromptProjection, load_projection

TRACKER_FAMILIES = ("sam3", "sam2", "sam")
CONCEPT_FAMILY = "sam3-concept"
FAMILIES = TRACKER_FAMILIES + (CONCEPT_FAMILY,)


@dataclass
class PackageModules:
    family: str
    image_encoder: nn.Module
    mask_decoder: nn.Module
    prompt_encoder: nn.Module | None = None  # the interactive path (points, boxes); SAM 1 has none
    text_encoder: nn.Module | None = None  # the text path: text encoder, projection and tokenizer, or none of them
    projection: nn.Module | None = None
    dims: dict = field(default_factory=dict)  # keyword arguments of write_package describing the shapes
    tokenizer_checkpoint: str | None = None  # where tokenizer.json comes from (the CLIP checkpoint)
    image_tower: nn.Module | None = None  # CLIP's image tower for prompt suggestions (--clip-image-tower)
    image_tower_spec: dict | None = None  # its preprocessing and embedding width (clip_image.image_tower_spec)

    @property
    def text_path(self) -> bool:
        return self.text_encoder is not None

    def write(self, out_dir: str, **kwargs) -> dict:
        """write_package with these modules and dims; kwargs: name, tokenizer_json_path (None without a text
        path), precision, weights, log."""
        return write_package(out_dir, family=self.family, image_encoder=self.image_encoder,
                             mask_decoder=self.mask_decoder, prompt_encoder=self.prompt_encoder,
                             text_encoder=self.text_encoder, projection=self.projection,
                             image_tower=self.image_tower, image_tower_spec=self.image_tower_spec, **kwargs, **self.dims)


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
                  random_init: bool = False, seed: int = 0, no_text: bool = False,
                  clip_image_tower: bool = False, text_tower: str = "clip") -> PackageModules:
    """Real weights from the checkpoints, or (random_init) every part random from ``seed``.

    The tracker families have the text path when given both a CLIP checkpoint and a projection (or with
    random_init), and none when given neither or with ``no_text``: then the package is the tracker alone (image
    encoder, prompt encoder, mask decoder). With random_init the parts use seeds derived from ``seed`` so that
    rebuilding gives identical weights. sam3-concept has no separate CLIP or projection: its one checkpoint is
    ``sam_checkpoint``.
    """
    if family == CONCEPT_FAMILY:
        from .sam3_concept import build_concept_modules

        if clip_checkpoint is not None or projection_path is not None or no_text:
            raise ValueError(f"{CONCEPT_FAMILY} brings its own text tower: no --clip-checkpoint, --projection or "
                             "--no-text")
        return build_concept_modules(preset, checkpoint=sam_checkpoint, random_init=random_init, seed=seed)
    mod = _family_module(family)
    if not random_init and sam_checkpoint is None:
        raise ValueError("give --sam-checkpoint (with --clip-checkpoint and --projection for the text path), "
                         "or --random-init")
    if (clip_checkpoint is None) != (projection_path is None):
        raise ValueError("the text path needs both --clip-checkpoint and --projection; give neither for a package "
                         "without one")
    if no_text and clip_checkpoint is not None:
        raise ValueError("--no-text leaves out the text path: no --clip-checkpoint or --projection")
    text = not no_text and (random_init or clip_checkpoint is not None)
    if not text and mod.PromptEncoder is None:
        raise ValueError(f"family {family} has no interactive path, so it needs the text path")
    sam_model = mod.build(preset, checkpoint=sam_checkpoint, random_init=random_init, seed=seed)
    sam_dims = mod.dims(sam_model)
    dims = {
        "image_size": sam_dims["image_size"], "resize": sam_dims["resize"], "mean": sam_dims["mean"],
        "std": sam_dims["std"], "embedding_channels": sam_dims["embedding_channels"],
        "embedding_size": sam_dims["embedding_size"], "high_res_features": sam_dims["high_res_features"],
        "prompt_embedding": sam_dims["prompt_embedding"], "mask_size": sam_dims["mask_size"],
        "candidates": sam_dims["candidates"],
    }
    modules = PackageModules(
        family=family,
        image_encoder=mod.ImageEncoder(sam_model).eval(),
        mask_decoder=mod.MaskDecoder(sam_model).eval(),
        prompt_encoder=mod.PromptEncoder(sam_model).eval() if mod.PromptEncoder is not None else None,
        dims=dims,
    )
    if text:
        add_text_path(modules, mod, sam_model, preset, clip_checkpoint, projection_path, random_init, seed,
                      text_tower)
    if clip_image_tower:
        if not text:
            raise ValueError("--clip-image-tower needs the text path: suggestions compare the image with CLIP's "
                             "text embeddings")
        if text_tower != "clip":  # its image tower would be another model's (not exported yet)
            raise ValueError(f"--clip-image-tower pairs with OpenAI CLIP's text tower, not {text_tower!r}")
        add_image_tower(modules, preset, clip_checkpoint, random_init, seed)
    return modules


def add_image_tower(modules: PackageModules, preset: str, clip_checkpoint: str | None, random_init: bool,
                    seed: int) -> None:
    """CLIP's image tower from the same checkpoint as the text tower, so both embed into one space."""
    from .clip_image import ClipImageTower, build_clip_image, image_tower_spec

    model = build_clip_image(preset, checkpoint=clip_checkpoint, random_init=random_init, seed=seed + 3)
    spec = image_tower_spec(model, clip_checkpoint)
    if spec["embedding"] != modules.dims["text_embedding"]:
        raise ValueError(f"CLIP's image tower projects to {spec['embedding']}, its text tower to "
                         f"{modules.dims['text_embedding']}: not one CLIP checkpoint")
    modules.image_tower = ClipImageTower(model).eval()
    modules.image_tower_spec = spec


def add_text_path(modules: PackageModules, mod, sam_model, preset: str, clip_checkpoint: str | None,
                  projection_path: str | None, random_init: bool, seed: int, text_tower: str = "clip") -> None:
    """The text tower (CLIP, or Chinese-CLIP: text_towers) and the projection onto the tracker's prompt tokens,
    with their dims; the projection's input width is the tower's D."""
    text_encoder, cd = build_text_tower(text_tower, preset, clip_checkpoint, random_init, seed + 1)
    prompt_dim = modules.dims["prompt_embedding"]
    text_dim = cd["text_embedding"]
    if projection_path is not None:
        projection = load_projection(projection_path)
    else:
        torch.manual_seed(seed + 2)
        projection = PromptProjection(text_dim, 512, prompt_dim)
        mod.init_projection_tokens(projection, sam_model)
        projection.eval()
    if projection.text_dim != text_dim or projection.prompt_dim != prompt_dim:
        raise ValueError(
            f"projection maps {projection.text_dim}→{projection.prompt_dim}, the models need {text_dim}→{prompt_dim}"
        )
    modules.text_encoder = text_encoder
    modules.projection = projection.eval()
    modules.tokenizer_checkpoint = clip_checkpoint
    modules.dims.update(text_embedding=text_dim, prompt_tokens=projection.prompt_tokens,
                        context_length=cd["context_length"], pad_id=cd["pad_id"], framing=cd["framing"],
                        attention_mask=cd["attention_mask"])
