"""Chinese-CLIP's text tower (transformers ChineseCLIPModel: a BERT encoder, WordPiece vocabulary) as the package's
text encoder, and its tokenizer.json.

The pooled feature is what ``ChineseCLIPModel.get_text_features`` returns: text_projection of the last hidden
state at the first position ([CLS]). The checkpoint is loaded as the whole ChineseCLIPModel — the only class
whose weights a Chinese-CLIP folder holds completely (ChineseCLIPTextModel alone would add a random pooler) —
and only text_model and text_projection are kept.
"""

from __future__ import annotations

import os

import torch
from torch import nn

from .common import build_model
from .chinese_vocab import SPECIALS, chinese_vocab

# Chinese-CLIP's own context length (its training and processor default); the tower itself reads up to 512.
CONTEXT_LENGTH = 52
PAD_ID = SPECIALS["[PAD]"]

CHINESE_CLIP_PRESETS: dict[str, dict] = {
    # OFA-Sys/chinese-clip-vit-base-patch16 text tower: RoBERTa-wwm-base, 12 layers, width 768, projection 512.
    "full": dict(text=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                           vocab_size=21128, max_position_embeddings=512),
                 projection_dim=512),
    # The same architecture at tiny width, on the small vocabulary of chinese_vocab; D stays 512 as in base. With
    # BERT's 0.02-std init the [CLS] state hardly depends on the prompt, so random packages would answer every
    # prompt alike; a wider init makes prompts differ about as much as the tiny CLIP tower's do.
    "tiny": dict(text=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                           vocab_size=len(chinese_vocab()), max_position_embeddings=CONTEXT_LENGTH,
                           initializer_range=0.2),
                 projection_dim=512),
}
# The vision tower is built only because ChineseCLIPModel needs one; it is dropped before export.
TINY_VISION = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, image_size=32,
                   patch_size=16)


def chinese_clip_config(preset: str):
    from transformers import ChineseCLIPConfig

    spec = CHINESE_CLIP_PRESETS[preset]
    return ChineseCLIPConfig(text_config=dict(spec["text"], pad_token_id=PAD_ID), vision_config=TINY_VISION,
                             projection_dim=spec["projection_dim"])


def build_chinese_clip(preset: str = "full", checkpoint: str | None = None, random_init: bool = False,
                       seed: int = 0):
    """ChineseCLIPModel in eval mode, from a checkpoint folder (e.g. OFA-Sys/chinese-clip-vit-base-patch16) or
    random."""
    from transformers import ChineseCLIPModel

    return build_model(ChineseCLIPModel, chinese_clip_config, preset, checkpoint, random_init, seed,
                       "Chinese-CLIP (OFA-Sys/chinese-clip-vit-base-patch16)", "build_chinese_clip")


def chinese_clip_dims(model) -> dict:
    text = model.config.text_config
    return {
        "context_length": min(CONTEXT_LENGTH, int(text.max_position_embeddings)),
        "text_embedding": int(model.config.projection_dim),
        "pad_id": int(text.pad_token_id if text.pad_token_id is not None else PAD_ID),
    }


class ChineseClipTextEncoder(nn.Module):
    """input_ids [B,L], attention_mask [B,L] int64 → text_embeds [B,D] = ChineseCLIPModel.get_text_features.

    BERT attends both ways, so unlike CLIP the padding must be masked out: attention_mask is a graph input.
    token_type_ids are all zeros for one sentence, which is what the model uses when none are given.
    """

    def __init__(self, model):
        super().__init__()
        self.text_model = model.text_model
        self.text_projection = model.text_projection

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.text_model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.text_projection(hidden[:, 0, :])


def bert_tokenizer_json(out_path: str, checkpoint: str | None = None) -> str:
    """The checkpoint's own tokenizer (vocab.txt or tokenizer.json in its folder) saved as tokenizer.json; without
    a checkpoint, a BERT tokenizer on the small vocabulary of chinese_vocab."""
    from transformers import AutoTokenizer, BertTokenizer

    if checkpoint is not None:
        tokenizer = AutoTokenizer.from_pretrained(os.path.expanduser(checkpoint))
    else:
        tokenizer = BertTokenizer(vocab={t: i for i, t in enumerate(chinese_vocab())}, do_lower_case=True,
                                  tokenize_chinese_chars=True)
    tokenizer.backend_tokenizer.save(out_path)
    return out_path


def transformers_tokenizer(tokenizer_json: str):
    """The package's tokenizer.json as transformers reads it (for references made by transformers itself)."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(tokenizer_file=tokenizer_json, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
