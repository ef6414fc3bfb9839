"""The projection from a CLIP text embedding to mask-decoder prompt tokens.

The text acts as a "virtual point prompt": an MLP maps the 768-d CLIP embedding to the decoder width, and a
learned TEXT_PROMPT type embedding is added (like SAM's per-label point embeddings). A second, learned token
stands where SAM puts its padding ("not a point") token when no box is given, so the decoder sees N=2 tokens
as it does for a single point prompt.
"""

from __future__ import annotations

import os

import torch
from torch import nn


class PromptProjection(nn.Module):
    def __init__(self, text_dim: int = 768, hidden_dim: int = 512, prompt_dim: int = 256):
        super().__init__()
        self.text_dim, self.hidden_dim, self.prompt_dim = text_dim, hidden_dim, prompt_dim
        self.mlp = nn.Sequential(nn.Linear(text_dim, hidden_dim), nn.GELU(), nn.Linear(hidden_dim, prompt_dim))
        self.text_prompt_type = nn.Parameter(torch.zeros(prompt_dim))
        self.blank_prompt = nn.Parameter(torch.zeros(prompt_dim))

    @property
    def prompt_tokens(self) -> int:
        return 2

    def init_from_sam(self, not_a_point_embed: torch.Tensor | None = None, point_embed: torch.Tensor | None = None):
        """Starts the type/blank tokens from SAM's own embeddings (positive-point type, not-a-point padding)."""
        with torch.no_grad():
            if point_embed is not None:
                self.text_prompt_type.copy_(point_embed.reshape(-1))
            if not_a_point_embed is not None:
                self.blank_prompt.copy_(not_a_point_embed.reshape(-1))
        return self

    def init_from_text(self, text_embeds: torch.Tensor, token_norm: float | None = None):
        """Data-dependent start for training: standardizes the MLP's input over the given prompts' embeddings.

        Text embeddings of different prompts share a large common part (cosine 0.9+ for an untrained text
        tower, 0.7+ for CLIP's own), so a freshly initialized MLP maps every prompt to nearly the same token
        and the decoder learns to ignore it. Folding the per-dimension mean and spread into the first layer
        makes prompts differ from the first step; the output layer is scaled so that the prompt-dependent
        part of the token is as large as the type embedding (``token_norm``, default: its current norm).
        """
        with torch.no_grad():
            x = text_embeds.detach().float().reshape(-1, self.text_dim)
            mean, std = x.mean(0), x.std(0, unbiased=False).clamp(min=1e-6)
            first, last = self.mlp[0], self.mlp[2]
            first.weight.div_(std[None, :])
            first.bias.copy_(-(first.weight @ mean))
            out = self.mlp(x)
            spread = (out - out.mean(0)).norm(dim=-1).mean().clamp(min=1e-6)
            target = float(token_norm) if token_norm is not None else float(self.text_prompt_type.norm().clamp(min=1.0))
            last.weight.mul_(target / spread)
            last.bias.mul_(target / spread)
        return self

    def forward(self, text_embeds: torch.Tensor) -> torch.Tensor:
        text_token = self.mlp(text_embeds) + self.text_prompt_type  # [B,P]
        blank = self.blank_prompt.expand_as(text_token)  # [B,P]
        return torch.stack([text_token, blank], dim=1)  # [B,2,P]


def save_projection(module: PromptProjection, path: str) -> None:
    """Saves weights + sizes; ``.safetensors`` (sizes in the metadata) or a torch state dict otherwise."""
    sizes = {"text_dim": module.text_dim, "hidden_dim": module.hidden_dim, "prompt_dim": module.prompt_dim}
    state = {k: v.detach().contiguous().cpu() for k, v in module.state_dict().items()}
    if path.endswith(".safetensors"):
        from safetensors.torch import save_file

        save_file(state, path, metadata={k: str(v) for k, v in sizes.items()})
    else:
        torch.save({"sizes": sizes, "state_dict": state}, path)


def load_projection(path: str) -> PromptProjection:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"projection weights not found: {path}")
    if path.endswith(".safetensors"):
        from safetensors import safe_open
        from safetensors.torch import load_file

        with safe_open(path, "pt") as f:
            meta = f.metadata() or {}
        state = load_file(path)
        w1 = state["mlp.0.weight"]
        sizes = {
            "text_dim": int(meta.get("text_dim", w1.shape[1])),
            "hidden_dim": int(meta.get("hidden_dim", w1.shape[0])),
            "prompt_dim": int(meta.get("prompt_dim", state["mlp.2.weight"].shape[0])),
        }
    else:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        state = blob["state_dict"] if "state_dict" in blob else blob
        sizes = blob.get("sizes") or {
            "text_dim": state["mlp.0.weight"].shape[1], "hidden_dim": state["mlp.0.weight"].shape[0],
            "prompt_dim": state["mlp.2.weight"].shape[0],
        }
    module = PromptProjection(**sizes)
    module.load_state_dict(state)
    return module.eval()
