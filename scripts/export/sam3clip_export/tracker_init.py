"""Random Sam3TrackerModel weights that test something (the tracker-only test package, tracker_fixture.py).

transformers' own init (normal, std 0.02) leaves the tracker's mask logits of order 0.01, so "> 0" is decided by
rounding noise, and the point-type embeddings so small next to the positional encoding that a positive point, a
negative one and a box corner embed almost alike: a test could not tell a wrong label or token order from the right
one. So the weights are re-drawn from the seed:

- every linear and convolution layer LeCun normal (std 1/√fan_in) with small biases, so activations stay of order
  one through the ViT, the neck and the decoder, and the mask logits are of order one too;
- every embedding table (point types, not-a-point, no-mask, the decoder's output tokens) and the no-memory token
  N(0, 1), the scale of the positional encoding they are added to: labels and the no-memory rule matter;
- the IoU head's last layer scaled by IOU_HEAD_GAIN, which spreads the predicted IoUs over (0, 1) so that the
  candidate with the highest one is a clear choice.

Everything comes from a torch.Generator seeded with the seed: the same seed gives the same weights.
"""

from __future__ import annotations

import math

import torch
from torch import nn

BIAS_STD = 0.1
IOU_HEAD_GAIN = 2.0


def init_tracker_test_weights(model, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                weight = module.weight
                # Conv2d/Linear weights are [out, in, k...]; ConvTranspose2d's are [in, out, k, k], and each output
                # of a stride-k transposed convolution sums its inputs over one tap only.
                fan_in = weight.shape[0] if isinstance(module, nn.ConvTranspose2d) else weight[0].numel()
                weight.copy_(torch.randn(weight.shape, generator=gen) / math.sqrt(fan_in))
                if module.bias is not None:
                    module.bias.copy_(torch.randn(module.bias.shape, generator=gen) * BIAS_STD)
            elif isinstance(module, nn.Embedding):
                module.weight.copy_(torch.randn(module.weight.shape, generator=gen))
        token = model.no_memory_embedding
        token.copy_(torch.randn(token.shape, generator=gen))
        model.mask_decoder.iou_prediction_head.proj_out.weight.mul_(IOU_HEAD_GAIN)
    model.eval()
