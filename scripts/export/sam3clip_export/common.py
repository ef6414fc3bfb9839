"""Pieces shared by the SAM, SAM 2 and SAM3 exports: checkpoint loading, seeded random init, the decoder wrapper."""

from __future__ import annotations

import os
from typing import Callable

import torch
from torch import nn


def load_pretrained(cls, checkpoint: str, what: str):
    """``cls.from_pretrained(checkpoint)`` in eval mode, with a clear error when a local path does not exist.

    A string that looks like a path (starts with / . ~, or is not of the hub's "owner/name" form) must be an
    existing folder; "owner/name" that is not a local folder is taken as a hub id, which only works where the hub
    (or its cache) is reachable.
    """
    path = os.path.expanduser(checkpoint)
    looks_local = checkpoint.startswith(("/", ".", "~")) or checkpoint.strip("/").count("/") != 1 or os.path.exists(path)
    if looks_local and not os.path.isdir(path):
        raise FileNotFoundError(f"{what} checkpoint folder not found: {checkpoint}")
    try:
        model, info = cls.from_pretrained(path, output_loading_info=True)
    except OSError as err:
        raise FileNotFoundError(
            f"cannot load the {what} checkpoint '{checkpoint}': {err}. Give a local folder with config.json and the "
            "weights (safetensors), or a hub id with the hub reachable."
        ) from err
    # A weight the folder lacks is left at its random init: the package would run and answer nonsense (e.g. a
    # Sam3Model-only folder read as a Sam3TrackerModel). transformers already leaves out the keys a model may lack.
    missing = list(info.get("missing_keys", []))
    if missing:
        raise ValueError(
            f"{checkpoint} lacks {len(missing)} weight(s) of {cls.__name__} (e.g. {', '.join(sorted(missing)[:3])}): "
            f"it is not a {what} checkpoint of this kind, or an incomplete one"
        )
    return model.eval().float()


# Random IoU heads predict ~0.5 for every candidate and prompt (sigmoid of a small logit), which would make
# candidate selection by threshold meaningless in tests; a larger last layer spreads the scores over (0, 1).
RANDOM_IOU_HEAD_GAIN = 40.0


def seeded_random_init(make: Callable[[], nn.Module], seed: int) -> nn.Module:
    """Builds a model with torch's RNG seeded, so the same seed always gives the same weights."""
    torch.manual_seed(seed)
    model = make()
    head = getattr(getattr(model, "mask_decoder", None), "iou_prediction_head", None)
    if head is not None:
        with torch.no_grad():
            head.proj_out.weight.mul_(RANDOM_IOU_HEAD_GAIN)
    return model.eval().float()


def build_model(cls, make_config: Callable[[str], object], preset: str, checkpoint: str | None, random_init: bool,
                seed: int, what: str, caller: str) -> nn.Module:
    """``cls.from_pretrained(checkpoint)``, or ``cls(make_config(preset))`` with seeded random weights."""
    if checkpoint is not None:
        return load_pretrained(cls, checkpoint, what)
    if not random_init:
        raise ValueError(f"{caller}: give a checkpoint, or random_init=True for random weights")
    return seeded_random_init(lambda: cls(make_config(preset)), seed)


class TrackerImageEncoder(nn.Module):
    """SAM 2 / SAM3-tracker single-image features: (image_embeddings, high_res_feats_0, high_res_feats_1).

    ``get_image_features`` runs the backbone and FPN and applies the decoder's conv_s0/conv_s1 to the two finest
    levels (done once per image rather than per prompt). Only as many levels as ``backbone_feature_sizes`` lists
    are used. With no memory bank (a single image), the model's learned no-memory token is added to the
    coarsest of them — that is the image embedding the decoder attends to.
    """

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values: torch.Tensor):
        out = self.model.get_image_features(pixel_values, return_dict=True)
        sizes = self.model.backbone_feature_sizes
        maps = list(out.fpn_hidden_states)[: len(sizes)]  # each HW×B×C
        maps[-1] = maps[-1] + self.model.no_memory_embedding
        batch = pixel_values.shape[0]
        feats = [m.permute(1, 2, 0).reshape(batch, -1, int(s[0]), int(s[1])) for m, s in zip(maps, sizes)]
        return feats[-1], feats[0], feats[1]


class DecoderWrapper(nn.Module):
    """The SAM-family mask decoder with text prompt tokens as its sparse prompt embeddings.

    The prompt batch B becomes the decoder's batch axis: the one image's features are broadcast to B, and each
    prompt is one "point batch" of N tokens. The dense embedding is the prompt encoder's no-mask embedding and the
    positional encoding the image-wide one; both depend only on the weights and are stored as constants, so
    build the wrapper after the weights are loaded (and rebuild it if they change).
    """

    def __init__(self, model, high_res: bool):
        super().__init__()
        self.mask_decoder = model.mask_decoder
        self.high_res = high_res
        with torch.no_grad():
            pe = model.get_image_wide_positional_embeddings()  # [1,C,h,w]
            dense = model.prompt_encoder.no_mask_embed.weight.reshape(1, -1, 1, 1).expand_as(pe)
        self.register_buffer("image_pe", pe.detach().clone().contiguous(), persistent=False)
        self.register_buffer("dense", dense.detach().clone().contiguous(), persistent=False)

    def _run(self, image_embeddings, prompt_embeds, high_res_features=None):
        """The transformers mask decoder's forward for one point batch per prompt, written out because its own
        code repeats the output tokens (Tile) and repeat_interleaves the image features by a traced count
        (OneHot + Tile in ONNX), which TensorRT takes for shape tensors. Here the batch is a broadcast (Expand)
        and every other shape is a constant of the fixed image size; tests check it against transformers."""
        dec = self.mask_decoder
        has_obj_token = hasattr(dec, "obj_score_token")  # SAM 2 / SAM3: [obj, iou, masks...]; SAM 1: [iou, masks...]
        batch = prompt_embeds.shape[0]
        _, channels, height, width = (int(d) for d in image_embeddings.shape)
        weights = ([dec.obj_score_token.weight] if has_obj_token else []) + [dec.iou_token.weight, dec.mask_tokens.weight]
        output_tokens = torch.cat(weights, dim=0)  # [T, C]
        output_tokens = output_tokens.unsqueeze(0).expand(batch, -1, -1)
        tokens = torch.cat([output_tokens, prompt_embeds.to(output_tokens.dtype)], dim=1).unsqueeze(1)  # [B,1,T+N,C]
        image = (image_embeddings + self.dense).expand(batch, -1, -1, -1)
        image_pe = self.image_pe.expand(batch, -1, -1, -1)
        point_out, image = dec.transformer(point_embeddings=tokens, image_embeddings=image,
                                           image_positional_embeddings=image_pe, attention_similarity=None,
                                           target_embedding=None)[:2]
        first = 1 if has_obj_token else 0
        iou_token_out = point_out[:, :, first, :]
        mask_tokens_out = point_out[:, :, first + 1 : first + 1 + dec.num_mask_tokens, :]
        image = image.transpose(2, 3).reshape(-1, channels, height, width)
        up = dec.upscale_conv1(image)
        if high_res_features is not None:
            feat_s0, feat_s1 = high_res_features
            up = dec.activation(dec.upscale_layer_norm(up + feat_s1))
            up = dec.activation(dec.upscale_conv2(up) + feat_s0)
        else:
            up = dec.activation(dec.upscale_layer_norm(up))
            up = dec.activation(dec.upscale_conv2(up))
        hyper_in = torch.stack(
            [dec.output_hypernetworks_mlps[i](mask_tokens_out[:, :, i, :]) for i in range(dec.num_mask_tokens)], dim=2
        )  # [B,1,T_mask,c]
        up_channels, up_h, up_w = (int(d) for d in up.shape[1:])
        up = up.reshape(-1, 1, up_channels, up_h * up_w)
        masks = (hyper_in @ up).reshape(-1, dec.num_mask_tokens, up_h, up_w)
        iou = dec.iou_prediction_head(iou_token_out)[:, 0]
        return masks[:, 1:], iou[:, 1:]  # multimask output: the 3 candidates after the single-mask token

    def forward(self, image_embeddings, *rest):
        if self.high_res:
            high_res_feats_0, high_res_feats_1, prompt_embeds = rest
            return self._run(image_embeddings, prompt_embeds, [high_res_feats_0, high_res_feats_1])
        (prompt_embeds,) = rest
        return self._run(image_embeddings, prompt_embeds)


class TrackerMaskDecoder(DecoderWrapper):
    """SAM 2 / SAM3-tracker decoder: (image_embeddings, high_res_feats_0, high_res_feats_1, prompt_embeds [B,N,256])
    → masks [B,3,m,m], iou [B,3]."""

    def __init__(self, model):
        super().__init__(model, high_res=True)


def init_tracker_projection_tokens(projection, model) -> None:
    """TEXT_PROMPT starts as the positive-point type embedding, the blank token as the "not a point" padding."""
    pe = model.prompt_encoder
    projection.init_from_sam(not_a_point_embed=pe.not_a_point_embed.weight, point_embed=pe.point_embed.weight[1])
