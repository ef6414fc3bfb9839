"""CLIP text tower (transformers CLIPTextModelWithProjection) as the package's text encoder."""

from __future__ import annotations

import torch
from torch import nn

from .common import build_model

CONTEXT_LENGTH = 77
BOS_ID = 49406
EOS_ID = 49407  # also the pad id: the highest id, so "first EOS" and "argmax of ids" pick the same position
VOCAB_SIZE = 49408

CLIP_PRESETS: dict[str, dict] = {
    # openai/clip-vit-large-patch14 text tower: 12 layers, width 768, projection 768.
    "full": dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                 projection_dim=768),
    # The same architecture and the real BPE vocabulary, tiny width; projection_dim stays 768 so D matches.
    "tiny": dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                 projection_dim=768),
}


def clip_text_config(preset: str):
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        vocab_size=VOCAB_SIZE, max_position_embeddings=CONTEXT_LENGTH, hidden_act="quick_gelu",
        bos_token_id=BOS_ID, eos_token_id=EOS_ID, pad_token_id=EOS_ID, **CLIP_PRESETS[preset],
    )


def build_clip_text(preset: str = "full", checkpoint: str | None = None, random_init: bool = False, seed: int = 0):
    """CLIPTextModelWithProjection in eval mode, from a checkpoint (a full CLIP folder works too) or random."""
    from transformers import CLIPTextModelWithProjection

    return build_model(CLIPTextModelWithProjection, clip_text_config, preset, checkpoint, random_init, seed,
                       "CLIP (openai/clip-vit-large-patch14)", "build_clip_text")


def clip_dims(model) -> dict:
    return {
        "context_length": int(model.config.max_position_embeddings),
        "text_embedding": int(model.config.projection_dim),
        "pad_id": EOS_ID,
    }


class ClipTextEncoder(nn.Module):
    """input_ids [B,77] int64 → text_embeds [B,D].

    No attention mask: CLIP's mask is causal, so tokens after EOS cannot change the EOS position's state, and the
    pooled token is the first EOS (eos_token_id set) or the argmax id (old configs) — the same position, since
    EOS is the largest id. Padding with EOS therefore gives the embedding of the unpadded prompt (checked by
    check_padding_invariance).
    """

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids).text_embeds


def check_padding_invariance(encoder: ClipTextEncoder, ids: list[int], tol: float = 1e-4) -> float:
    """Max |diff| between the padded (77, EOS-padded) and unpadded embedding of one tokenized prompt."""
    with torch.no_grad():
        short = encoder(torch.tensor([ids], dtype=torch.int64))
        padded = encoder(torch.tensor([ids + [EOS_ID] * (CONTEXT_LENGTH - len(ids))], dtype=torch.int64))
    diff = float((short - padded).abs().max())
    if diff > tol:
        raise AssertionError(f"EOS padding changes the CLIP text embedding by {diff}; the package would need attention_mask")
    return diff
