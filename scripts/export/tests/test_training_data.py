"""Training data: absent-prompt sampling with and without hard negatives, on a generated shapes dataset."""
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from training.coco import CocoDataset  # noqa: E402
from training.shapes import write_dataset  # noqa: E402


def test_hard_negatives_share_a_word_with_a_present_prompt(tmp_path):
    ds = CocoDataset(write_dataset(tmp_path, 12, seed=3))
    for hard in (False, True):
        samples = ds.samples(absent_per_image=2, seed=0, hard_negatives=hard)
        by_image = {}
        for s in samples:
            by_image.setdefault(s.image_id, []).append(s)
        sharing = total = 0
        for ss in by_image.values():
            present = {s.prompt for s in ss if s.ann_ids}
            absent = [s.prompt for s in ss if not s.ann_ids]
            assert len(absent) == 2 and not present & set(absent)
            words = {w for p in present for w in p.split()}
            sharing += sum(bool(words & set(a.split())) for a in absent)
            total += len(absent)
        if hard:  # 2-4 shapes in 3 colours x 3 kinds: every image has at least two absent prompts sharing a word
            assert sharing == total
        else:
            assert sharing < total


def _colour_pairs(annotations) -> tuple[int, int]:
    """(present prompts that share their colour with another shape in the image, present prompts)."""
    import json

    data = json.loads(annotations.read_text())
    names = {c["id"]: c["name"] for c in data["categories"]}
    by_image = {}
    for a in data["annotations"]:
        by_image.setdefault(a["image_id"], set()).add(names[a["category_id"]])
    shared = sum(any(o != n and o.split()[0] == n.split()[0] for o in ns) for ns in by_image.values() for n in ns)
    return shared, sum(len(ns) for ns in by_image.values())


def test_same_colour_scenes_for_training_only(tmp_path):
    plain = write_dataset(tmp_path / "plain", 40, seed=5)
    default = write_dataset(tmp_path / "default", 40, seed=5, same_colour=0.0)
    # The held-out recipe (and the TypeScript drawer) must not change: same bytes at same_colour 0.
    assert plain.read_bytes().replace(b"plain", b"") == default.read_bytes().replace(b"default", b"")
    assert (tmp_path / "plain/images/5-000001.png").read_bytes() == (tmp_path / "default/images/5-000001.png").read_bytes()
    shared_plain, n_plain = _colour_pairs(plain)
    shared_all, n_all = _colour_pairs(write_dataset(tmp_path / "same", 40, seed=5, same_colour=1.0))
    assert shared_plain / n_plain < 0.6 < shared_all / n_all
