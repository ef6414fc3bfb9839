"""Random Sam3Model weights that test something (--random-init of family sam3-concept).

transformers' own init (normal, std 0.02) makes every output nearly constant: the signal shrinks through each layer,
all queries end up with the same state, and scores, presence and masks barely depend on the image or the prompt. A
test on such a model cannot tell a wrong image, prompt, mask or query order from the right one. So the weights are
re-drawn from the seed in three steps:

1. Variance-preserving draws (LeCun normal: std 1/√fan_in; embeddings N(0,1)), so activations stay O(1) and
   attention is far from uniform: outputs depend on the image and the prompt. The FPN's transposed convolutions
   get equal taps (ICNR), so masks are blobs rather than per-patch noise.
2. The DETR decoder's residual branches are scaled down (DECODER_RESIDUAL_GAIN), so each query keeps its own learned
   embedding through the post-norm layers instead of collapsing onto the shared attention output — what makes
   trained queries differ from each other.
3. A data-dependent calibration of the output heads (as in LSUV / data-dependent init): one forward pass on a fixed
   synthetic probe (seeded images of soft shapes in different colour casts, seeded random prompts) measures each head, and its last layer
   is shifted and scaled so that on the probe the query logits are centred with a spread of SCORE_LOGIT_STD, the
   presence logits have mean PRESENCE_LOGIT_MEAN and spread PRESENCE_LOGIT_STD over the images and prompts, and the mask logits
   are centred with spread MASK_LOGIT_STD. On photos this gives scores across 0–1 that change with the prompt,
   presence that changes with image and prompt, and masks with both foreground and background.

Everything is drawn from a torch.Generator seeded with the seed: the same seed gives the same weights. The
calibration runs on one thread: its sums over the probe are float32 reductions whose order (and so their last bits)
follows torch's thread count, which would make the calibrated heads differ by a few ulps from one machine to the
next.
"""

from __future__ import annotations

import contextlib
import math

import torch
from torch import nn

DECODER_RESIDUAL_GAIN = 0.25
SCORE_LOGIT_STD = 2.0
PRESENCE_LOGIT_MEAN = 0.0
PRESENCE_LOGIT_STD = 1.5
MASK_LOGIT_STD = 3.0
BIAS_STD = 0.1
PROBE_IMAGES = 4
PROBE_PROMPTS = 4


def init_test_weights(model, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad(), one_thread():
        _redraw(model, gen)
        _scale_decoder_residuals(model, DECODER_RESIDUAL_GAIN)
        _calibrate_heads(model, gen)
    model.eval()


@contextlib.contextmanager
def one_thread():
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


def _redraw(model: nn.Module, gen: torch.Generator) -> None:
    for module in model.modules():
        if isinstance(module, nn.Embedding):
            module.weight.copy_(torch.randn(module.weight.shape, generator=gen))
            continue
        if isinstance(module, nn.ConvTranspose2d):
            # The FPN's ×2 upsamplers (kernel = stride = 2): every output pixel sees one tap per input channel. All
            # taps equal (ICNR init, Aitken et al. 2017): nearest upsampling then a channel mix, without the
            # checkerboard that independent taps print inside every ViT patch — which would make every mask
            # salt-and-pepper noise at the patch scale instead of blobs.
            w = torch.randn(module.weight.shape[:2], generator=gen) / math.sqrt(module.weight.shape[0])
            module.weight.copy_(w[:, :, None, None].expand_as(module.weight))
            if module.bias is not None:
                module.bias.copy_(torch.randn(module.bias.shape, generator=gen) * BIAS_STD)
            continue
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            fan_in = module.weight[0].numel()
        else:
            continue
        module.weight.copy_(torch.randn(module.weight.shape, generator=gen) / math.sqrt(fan_in))
        if module.bias is not None:
            module.bias.copy_(torch.randn(module.bias.shape, generator=gen) * BIAS_STD)
    # The ViT's position embeddings (a Parameter) keep transformers' small init: drawn at N(0,1) they would outweigh
    # the patches' content, and every mask would be a patch-scale pattern unrelated to the image.


def _scale_decoder_residuals(model, gain: float) -> None:
    for layer in model.detr_decoder.layers:
        for branch in (layer.self_attn.o_proj, layer.text_cross_attn.o_proj, layer.vision_cross_attn.o_proj,
                       layer.mlp.fc2):
            branch.weight.mul_(gain)
            branch.bias.mul_(gain)


def probe_inputs(model, gen: torch.Generator, images: int = PROBE_IMAGES, prompts: int = PROBE_PROMPTS):
    """Synthetic images at the model's size (soft shapes, each with its own colour cast and contrast, as photos
    differ), normalized as SAM3 does, and seeded prompts of 1–6 random words with their attention mask."""
    from .synthetic import synthetic_rgb

    size = int(model.config.vision_config.backbone_config.image_size)
    length = int(model.config.text_config.max_position_embeddings)
    pixels = []
    for _ in range(images):
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
        rgb = torch.from_numpy(synthetic_rgb(size, size, seed=seed)).permute(2, 0, 1).float()
        contrast = 0.4 + 0.8 * torch.rand(1, generator=gen)
        cast = (torch.rand(3, 1, 1, generator=gen) - 0.5) * 160
        rgb = ((rgb - 128) * contrast + 128 + cast).clamp(0, 255).round()
        pixels.append(((rgb / 255 - 0.5) / 0.5)[None])
    ids = torch.full((prompts, length), 49407, dtype=torch.int64)
    mask = torch.zeros(prompts, length, dtype=torch.int64)
    for b in range(prompts):
        words = int(torch.randint(1, 7, (1,), generator=gen))
        ids[b, 0] = 49406
        ids[b, 1 : words + 1] = torch.randint(256, 49406, (words,), generator=gen)
        mask[b, : words + 2] = 1
    return pixels, ids, mask


def _probe(model, gen: torch.Generator) -> dict[str, torch.Tensor]:
    """Runs every probe prompt on every probe image and returns what the heads saw, the (image, prompt) pairs
    stacked on the first axis. The ViT runs once per image; its features are broadcast to the prompts."""
    from transformers.models.sam3.modeling_sam3 import Sam3VisionEncoderOutput

    images, ids, mask = probe_inputs(model, gen)
    seen: dict[str, list[torch.Tensor]] = {k: [] for k in ("queries", "text", "presence", "pixels", "mask_embed")}
    last_presence: list[torch.Tensor] = []
    scoring, decoder = model.dot_product_scoring, model.mask_decoder
    hooks = [
        scoring.query_proj.register_forward_hook(lambda m, i, o: seen["queries"].append(i[0][-1])),
        scoring.text_proj.register_forward_hook(lambda m, i, o: seen["text"].append(o)),
        # called once per decoder layer: the last call of each run is the one that counts
        model.detr_decoder.presence_head.register_forward_hook(lambda m, i, o: last_presence.append(o)),
        # every few pixels only at full size (a [P,256,288,288] map per image): mean and spread are all that is used
        decoder.instance_projection.register_forward_hook(
            lambda m, i, o: seen["pixels"].append(o[:, :, :: max(1, o.shape[-2] // 64), :: max(1, o.shape[-1] // 64)])),
        decoder.mask_embedder.register_forward_hook(lambda m, i, o: seen["mask_embed"].append(o)),
    ]
    try:
        for pixels in images:
            vision = model.get_vision_features(pixels)
            wide = lambda levels: tuple(t.expand(len(ids), -1, -1, -1) for t in levels)  # noqa: E731
            vision = Sam3VisionEncoderOutput(fpn_hidden_states=wide(vision.fpn_hidden_states),
                                             fpn_position_encoding=wide(vision.fpn_position_encoding))
            model(vision_embeds=vision, input_ids=ids, attention_mask=mask)
            seen["presence"].append(last_presence[-1])
    finally:
        for h in hooks:
            h.remove()
    return {k: torch.cat(v) for k, v in seen.items()}


def _calibrate_heads(model, gen: torch.Generator) -> None:
    seen = _probe(model, gen)
    scoring = model.dot_product_scoring

    # Query scores: project the probe's mean query to zero (so logits are relative to the average query), no text
    # bias, then scale to the target spread. Shapes (P: probe pairs): queries [P,Q,C], text [P,C].
    q_proj = scoring.query_proj
    q_proj.bias.copy_(-q_proj.weight @ seen["queries"].mean(dim=(0, 1)))
    text = seen["text"] - scoring.text_proj.bias
    scoring.text_proj.bias.zero_()
    logits = torch.einsum("pqc,pc->pq", q_proj(seen["queries"]), text) * scoring.scale
    gain = SCORE_LOGIT_STD / float(logits.std())
    q_proj.weight.mul_(gain)
    q_proj.bias.mul_(gain)

    # Presence: an affine change of the head's last layer to the target mean and spread over the probe pairs.
    last = model.detr_decoder.presence_head.layer3
    presence = seen["presence"].flatten()
    gain = PRESENCE_LOGIT_STD / float(presence.std())
    shift = PRESENCE_LOGIT_MEAN - gain * float(presence.mean())
    last.weight.mul_(gain)
    last.bias.mul_(gain).add_(shift)

    # Masks: centre the pixel embedding per channel (so a query's mask logits are not all one sign), then scale the
    # query embedding's last layer to the target spread. Shapes: pixels [P,C,H,W], mask_embed [P,Q,C].
    decoder = model.mask_decoder
    centre = seen["pixels"].mean(dim=(0, 2, 3))
    decoder.instance_projection.bias.sub_(centre)
    masks = torch.einsum("pqc,pchw->pqhw", seen["mask_embed"], seen["pixels"] - centre[None, :, None, None])
    gain = MASK_LOGIT_STD / float(masks.std())
    decoder.mask_embedder.layers[-1].weight.mul_(gain)
    decoder.mask_embedder.layers[-1].bias.mul_(gain)
