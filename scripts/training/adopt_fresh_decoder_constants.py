"""Makes a checkpoint trained before the decoder-constants fix export what it was trained with.

Until TextSegmenter rebuilt its decoder wrapper on loading, a run started with --init-from trained against the
no-mask embedding and image positional encoding of a freshly built model (its --sam3-preset, seed 0), while the
checkpoint kept the loaded ones, and write_package exports from the checkpoint. Neither tensor gets a gradient
(the wrapper holds them as constants), so copying the fresh model's values into the checkpoint gives exactly the
decoder that was trained.

  python scripts/training/adopt_fresh_decoder_constants.py --sam3-preset tiny-deep IN.pt OUT.pt
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training import checkpoint  # noqa: E402
from training.model import TextSegmenter  # noqa: E402

# The two tensors the decoder wrapper derives its constants from.
CONSTANT_SOURCES = ("prompt_encoder.no_mask_embed.weight", "shared_image_embedding.positional_embedding")


def adopt(state: dict, sam3_preset: str, clip_preset: str = "tiny", seed: int = 0) -> list[str]:
    """Overwrites, in place, every copy of the constant sources in `state` with a fresh model's; returns the keys."""
    fresh = TextSegmenter(sam3_preset, clip_preset, seed).state_dict()
    keys = [k for k in state if k.endswith(CONSTANT_SOURCES)]
    for k in keys:
        state[k] = fresh[k].clone()
    return keys


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", type=Path)
    p.add_argument("output", type=Path)
    p.add_argument("--sam3-preset", default="tiny-deep")
    p.add_argument("--clip-preset", default="tiny")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    ckpt = checkpoint.load(args.input)
    keys = adopt(ckpt["model"], args.sam3_preset, args.clip_preset, args.seed)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ckpt, args.output)
    print(f"wrote {args.output}: {len(keys)} tensors from a fresh {args.sam3_preset} model (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
