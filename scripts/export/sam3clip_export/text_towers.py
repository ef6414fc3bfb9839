"""The text towers a tracker package's text path can carry, by --text-tower name: the module to export, how its
prompts are framed and what the manifest says about them (docs/model-package.md, tokenizer.framing)."""

from __future__ import annotations

from torch import nn

TEXT_TOWERS = ("clip", "chinese-clip")


def build_text_tower(text_tower: str, preset: str, checkpoint: str | None, random_init: bool,
                     seed: int) -> tuple[nn.Module, dict]:
    """(text encoder module, dims): dims has text_embedding, context_length, pad_id, framing ("clip": BOS … EOS,
    EOS-padded, no mask; "bert": [CLS] … [SEP], [PAD]-padded, attention_mask fed) and attention_mask."""
    if text_tower == "clip":
        from .clip_text import ClipTextEncoder, build_clip_text, clip_dims

        model = build_clip_text(preset, checkpoint=checkpoint, random_init=random_init, seed=seed)
        return ClipTextEncoder(model).eval(), {**clip_dims(model), "framing": "clip", "attention_mask": False}
    if text_tower == "chinese-clip":
        from .chinese_clip_text import ChineseClipTextEncoder, build_chinese_clip, chinese_clip_dims

        model = build_chinese_clip(preset, checkpoint=checkpoint, random_init=random_init, seed=seed)
        return ChineseClipTextEncoder(model).eval(), {**chinese_clip_dims(model), "framing": "bert",
                                                      "attention_mask": True}
    raise ValueError(f"text tower must be one of {', '.join(TEXT_TOWERS)}, not {text_tower!r}")
