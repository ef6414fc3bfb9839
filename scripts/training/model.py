"""The trainable text-prompted segmenter, assembled from the export code's own modules
(scripts/export/sam3clip_export), so what is trained is exactly what write_package exports:
SAM3 tracker (image encoder + mask decoder), a text tower (CLIP, or Chinese-CLIP with text_tower="chinese-clip"),
PromptProjection.
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "export"))

from sam3clip_export.text_towers import build_text_tower  # noqa: E402
from sam3clip_export.projection import PromptProjection  # noqa: E402
from sam3clip_export.sam3_tracker import Sam3ImageEncoder, Sam3MaskDecoder, build_sam3_tracker, sam3_dims  # noqa: E402


class TextSegmenter(nn.Module):
    def __init__(self, sam3_preset: str = "tiny", clip_preset: str = "tiny", seed: int = 0,
                 sam3_checkpoint: str | None = None, clip_checkpoint: str | None = None, text_tower: str = "clip"):
        super().__init__()
        random = sam3_checkpoint is None
        self.tracker = build_sam3_tracker(sam3_preset, checkpoint=sam3_checkpoint, random_init=random, seed=seed)
        text_encoder, self.text_dims = build_text_tower(text_tower, clip_preset, clip_checkpoint,
                                                        clip_checkpoint is None, seed + 1)
        # "clip" stays the CLIP model itself, so checkpoints trained before the text towers load unchanged.
        self.clip = text_encoder.model if text_tower == "clip" else text_encoder
        dims = sam3_dims(self.tracker)
        self.image_size = dims["image_size"]
        torch.manual_seed(seed + 2)
        self.projection = PromptProjection(self.text_dims["text_embedding"], 512, dims["prompt_embedding"])
        self.reset_projection(seed)
        self.image_encoder = Sam3ImageEncoder(self.tracker)
        self.text_encoder = text_encoder
        self.decoder = Sam3MaskDecoder(self.tracker)

    def reset_projection(self, seed: int) -> None:
        """Fresh projection weights, in place (an optimizer built before keeps working): the MLP as PyTorch
        initializes it, the text token as a positive point's type embedding and the blank token as SAM's padding
        token, which the decoder already knows how to read as a pair."""
        torch.manual_seed(seed + 2)
        for layer in self.projection.mlp:
            if isinstance(layer, nn.Linear):
                layer.reset_parameters()
        pe = self.tracker.prompt_encoder
        self.projection.init_from_sam(not_a_point_embed=pe.not_a_point_embed.weight, point_embed=pe.point_embed.weight[1])

    def encode_images(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.image_encoder(pixel_values)

    def text_embeds(self, input_ids: torch.Tensor) -> torch.Tensor:
        if not self.text_dims["attention_mask"]:
            return self.text_encoder(input_ids)
        # A WordPiece tokenizer never emits [PAD] inside a prompt, so the mask is exactly the non-pad positions.
        return self.text_encoder(input_ids, (input_ids != self.text_dims["pad_id"]).long())

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        result = super().load_state_dict(state_dict, strict=strict, assign=assign)
        # The decoder wrapper keeps the no-mask embedding and the image positional encoding as constants taken
        # from the weights when it is built; built before loading, it would train against the fresh model's
        # constants while the package is written with the loaded ones.
        self.decoder = Sam3MaskDecoder(self.tracker)
        return result

    def decode(self, feats: tuple[torch.Tensor, ...], prompt_embeds: torch.Tensor):
        """feats: one image's (embeddings, hr0, hr1), batch 1; prompt_embeds [B,N,P] -> masks [B,K,m,m], iou [B,K]."""
        return self.decoder(feats[0], feats[1], feats[2], prompt_embeds)

    def load_grown(self, state: dict[str, torch.Tensor]) -> list[str]:
        """Loads a checkpoint of a shallower image encoder (tiny into tiny-deep): every weight it has is loaded,
        and the ViT layers it lacks start as the identity (zero output projections in their residual branches),
        so the grown model computes what the checkpoint did. Returns the names of the layers added."""
        missing, unexpected = self.load_state_dict(state, strict=False)
        if unexpected:
            raise ValueError(f"checkpoint has weights this model lacks: {unexpected[:5]}")
        # The tracker's modules are also registered under the wrappers (image_encoder.model., decoder.model.).
        layer = "vision_encoder.backbone.layers."
        added = sorted({k.split(layer, 1)[1].split(".")[0] for k in missing if layer in k}, key=int)
        others = [k for k in missing if layer not in k]
        if others:
            raise ValueError(f"checkpoint lacks weights that are not whole ViT layers: {others[:5]}")
        layers = self.tracker.vision_encoder.backbone.layers
        with torch.no_grad():
            for i in added:
                for proj in (layers[int(i)].attention.o_proj, layers[int(i)].mlp.fc2):
                    proj.weight.zero_()
                    proj.bias.zero_()
        return added

    def trainable(self, mode: str, train_text: bool = True, freeze_neck: bool = False) -> list[nn.Parameter]:
        """mlp: the projection only (everything else frozen); end-to-end: every weight, the text tower's only
        with train_text, the image encoder's FPN neck only without freeze_neck."""
        for p in self.parameters():
            p.requires_grad_(mode == "end-to-end")
        for p in self.clip.parameters():
            p.requires_grad_(mode == "end-to-end" and train_text)
        if freeze_neck:
            for p in self.tracker.vision_encoder.neck.parameters():
                p.requires_grad_(False)
        for p in self.projection.parameters():
            p.requires_grad_(True)
        return [p for p in self.parameters() if p.requires_grad]


class PromptTokenizer:
    """The package's own tokenizer.json (the same file the library tokenizes with), framed as the library frames
    it for the tower's text_dims: CLIP lowercased here and EOS-padded; BERT lowercased by its own normalizer and
    [PAD]-padded. Truncation keeps the closing token last."""

    def __init__(self, tokenizer_json: Path, text_dims: dict | None = None):
        from tokenizers import Tokenizer

        from sam3clip_export.clip_text import CONTEXT_LENGTH, EOS_ID

        self.tok = Tokenizer.from_file(str(tokenizer_json))
        dims = text_dims or {"context_length": CONTEXT_LENGTH, "pad_id": EOS_ID, "framing": "clip"}
        self.context_length, self.pad_id = dims["context_length"], dims["pad_id"]
        self.lowercase = dims["framing"] == "clip"

    def __call__(self, prompts: list[str]) -> torch.Tensor:
        rows, L = [], self.context_length
        for p in prompts:
            text = " ".join(p.split())
            ids = self.tok.encode(text.lower() if self.lowercase else text).ids
            if len(ids) > L:  # keep EOS / [SEP] last, as the library truncates
                ids = ids[: L - 1] + [ids[-1]]
            rows.append(ids + [self.pad_id] * (L - len(ids)))
        return torch.tensor(rows, dtype=torch.int64)
