"""export-info.json: how a package was made (family, preset, seed or checkpoints), so check_parity and the tests
can rebuild the same PyTorch modules. The library ignores the file; it is not part of the manifest's hashes."""

from __future__ import annotations

import json
import os

INFO_FILE = "export-info.json"
KEYS = ("family", "preset", "seed", "random_init", "sam_checkpoint", "clip_checkpoint", "projection", "precision")


def write_export_info(out_dir: str, args) -> None:
    info = {k: getattr(args, k, None) for k in KEYS}
    if getattr(args, "no_text", False):  # only then: packages with a text path keep the files they always had
        info["no_text"] = True
    if getattr(args, "clip_image_tower", False):  # likewise: only packages that hold image_tower.onnx say so
        info["clip_image_tower"] = True
    if getattr(args, "text_tower", "clip") != "clip":  # and only packages with another text tower name it
        info["text_tower"] = args.text_tower
    with open(os.path.join(out_dir, INFO_FILE), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")


def read_export_info(package_dir: str) -> dict:
    path = os.path.join(package_dir, INFO_FILE)
    if not os.path.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)
