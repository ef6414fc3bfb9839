"""The interactive path's prompt encoder: points, their labels and box corners → the mask decoder's sparse tokens.

One graph for every SAM-style prompt encoder (SAM, SAM 2, the SAM3 tracker): ``input_points`` [B,n,2] in the
encoder's input frame (original pixels × resized size / original size, what transformers' processors give) and
``input_labels`` [B,n] → ``sparse_embeddings`` [B,n,C]. Labels: 1 positive, 0 negative, 2 and 3 a box's top-left
and bottom-right corners, -1 SAM's "not a point" padding token.

The library builds the token list the way transformers' prompt encoder does (docs/model-package.md): the points,
then a box's two corners, then one padding token (transformers pads a points-only prompt with a not-a-point token,
and a box with one after its corners; a box with points has the points, the corners and that one pad). A box corner
is embedded exactly as a point with label 2 or 3, and the pad as label -1, so one graph covers all four cases.
"""

from __future__ import annotations

import torch
from torch import nn


class PointPromptEncoder(nn.Module):
    """``prompt_encoder._embed_points(points, labels, pad=False)`` of a transformers SAM-family model."""

    def __init__(self, model):
        super().__init__()
        self.prompt_encoder = model.prompt_encoder

    def forward(self, input_points: torch.Tensor, input_labels: torch.Tensor) -> torch.Tensor:
        # transformers' encoder takes a point-batch axis: [B, point_batch, n, 2]; the package has one object per prompt.
        points = input_points.unsqueeze(1)
        labels = input_labels.unsqueeze(1)
        return self.prompt_encoder._embed_points(points, labels, pad=False)[:, 0]


def prompt_encoder_example(image_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Tracing inputs: two prompts of three tokens with every label kind present, so no branch traces away."""
    gen = torch.Generator().manual_seed(0)
    points = torch.rand(2, 3, 2, generator=gen) * image_size
    labels = torch.tensor([[1, 0, -1], [2, 3, -1]], dtype=torch.int64)
    return points, labels
