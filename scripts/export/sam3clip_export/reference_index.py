"""The reference.json of a committed reference folder: written compact (one line), read back as a dict."""

from __future__ import annotations

import json
import os

INDEX_FILE = "reference.json"


def write_reference_index(out_dir: str, index: dict) -> str:
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, INDEX_FILE)
    with open(path, "w") as f:
        json.dump(index, f, separators=(",", ":"))
        f.write("\n")
    return path


def read_reference_index(ref_dir: str) -> dict:
    with open(os.path.join(ref_dir, INDEX_FILE)) as f:
        return json.load(f)
