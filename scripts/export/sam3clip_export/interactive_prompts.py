"""The library's interactive prompt → the prompt_encoder graph's inputs (docs/model-package.md), for tests and
parity checks: what lib/ does in TypeScript, written once here in Python.

A prompt is points with labels (1 positive, 0 negative) and/or a box [x0, y0, x1, y1], in original-image pixels.
Coordinates go to the encoder's input frame as transformers' processors put them (x·rw/W, y·rh/H in float32, where
rw×rh is the resized image inside the S×S input: S×S for ``stretch``); the +0.5 pixel-centre shift is inside the
graph. The
tokens are the points, then the box's corners (labels 2 and 3), then one not-a-point pad (label -1), which is the
token list transformers' prompt encoder builds for each of points only, box only and box with points.
"""

from __future__ import annotations

import numpy as np

POSITIVE, NEGATIVE, BOX_TOP_LEFT, BOX_BOTTOM_RIGHT, NOT_A_POINT = 1, 0, 2, 3, -1


def prompt_tokens(prompt: dict, original_hw, resized_hw) -> tuple[np.ndarray, np.ndarray]:
    """(input_points float32 [n,2], input_labels int64 [n]) of one prompt {points?, labels?, box?}."""
    (H, W), (rh, rw) = original_hw, resized_hw
    points = [list(p) for p in prompt.get("points", [])]
    labels = list(prompt.get("labels", [POSITIVE] * len(points)))
    if len(labels) != len(points):
        raise ValueError(f"{len(points)} points but {len(labels)} labels")
    if "box" in prompt:
        x0, y0, x1, y1 = prompt["box"]
        points += [[x0, y0], [x1, y1]]
        labels += [BOX_TOP_LEFT, BOX_BOTTOM_RIGHT]
    if not points:
        raise ValueError("an interactive prompt needs points or a box")
    points.append([0.0, 0.0])  # the pad's position is ignored: its embedding is the not-a-point token alone
    labels.append(NOT_A_POINT)
    # In float32 as transformers' processor does it: the coordinate times fround(rw / W), bit for bit its tensor.
    scale = np.array([rw / W, rh / H], dtype=np.float32)
    return np.asarray(points, dtype=np.float32) * scale, np.asarray(labels, dtype=np.int64)


def batch_tokens(prompts: list[dict], original_hw, resized_hw) -> tuple[np.ndarray, np.ndarray]:
    """[B,n,2], [B,n] of prompts that all have the same number of tokens (one graph call)."""
    pairs = [prompt_tokens(p, original_hw, resized_hw) for p in prompts]
    if len({len(labels) for _, labels in pairs}) != 1:
        raise ValueError("prompts of one batch must have the same number of tokens")
    return np.stack([p for p, _ in pairs]), np.stack([labels for _, labels in pairs])


def default_prompts(original_hw) -> list[dict]:
    """One prompt of each kind placed relative to the image (parity checks): a positive point, a positive and a
    negative point, a box, a box with a point."""
    H, W = original_hw
    box = [0.2 * W, 0.25 * H, 0.75 * W, 0.8 * H]
    return [
        {"points": [[0.5 * W, 0.5 * H]], "labels": [POSITIVE]},
        {"points": [[0.4 * W, 0.5 * H], [0.7 * W, 0.3 * H]], "labels": [POSITIVE, NEGATIVE]},
        {"box": box},
        {"box": box, "points": [[0.45 * W, 0.55 * H]], "labels": [POSITIVE]},
    ]
