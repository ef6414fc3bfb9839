"""The PyTorch modules a package was exported from, rebuilt from its export-info.json: the same seed and preset for
--random-init packages (seeded init gives identical weights), the same checkpoint folders otherwise. Used by
check_parity.py and the benchmark's PyTorch reference (scripts/bench/torch_reference.py), so both run exactly the
weights in the package's graphs."""

from __future__ import annotations

from .export_info import INFO_FILE, read_export_info
from .pipeline import CONCEPT_FAMILY, build_modules


def rebuild_modules(package_dir: str, *, family: str | None = None, preset: str | None = None,
                    seed: int | None = None, sam_checkpoint: str | None = None, clip_checkpoint: str | None = None,
                    projection: str | None = None):
    """build_modules with export-info.json's settings; a keyword given here overrides the file's.

    Raises ValueError when nothing says how the weights were made (no export-info.json, e.g. a package written by
    the training scripts; no checkpoint, preset or seed given): a random model rebuilt then would not be the package.
    A tracker package exported without a text path is rebuilt without one (no CLIP checkpoint and projection, or
    export-info's no_text).
    """
    info = read_export_info(package_dir)
    pick = lambda value, key, default=None: value if value is not None else info.get(key, default)  # noqa: E731
    family = pick(family, "family", "sam3")
    checkpoints = [pick(sam_checkpoint, "sam_checkpoint"), pick(clip_checkpoint, "clip_checkpoint"),
                   pick(projection, "projection")]
    if family == CONCEPT_FAMILY:
        checkpoints[1:] = [None, None]  # one Sam3Model checkpoint
    random_init = all(c is None for c in checkpoints)
    if random_init and not info.get("random_init") and preset is None and seed is None:
        raise ValueError(
            f"{package_dir} has no {INFO_FILE} saying how its weights were made: pass the checkpoints it was exported "
            "from (--sam-checkpoint, and for a tracker package's text path --clip-checkpoint and --projection)")
    return build_modules(family, pick(preset, "preset", "full"), sam_checkpoint=checkpoints[0],
                         clip_checkpoint=checkpoints[1], projection_path=checkpoints[2], random_init=random_init,
                         seed=pick(seed, "seed", 0), no_text=bool(info.get("no_text")) and random_init,
                         clip_image_tower=bool(info.get("clip_image_tower")) and family != CONCEPT_FAMILY,
                         text_tower=info.get("text_tower", "clip"))
