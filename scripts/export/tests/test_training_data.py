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
