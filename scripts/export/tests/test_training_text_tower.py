"""Training with Chinese-CLIP's text tower (train_projection.py --text-tower chinese-clip): one step at tiny size
trains the projection from the tower's width (512) and writes a package framed as the library reads it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sam3clip_export.chinese_fixture import transformers_tokens  # noqa: E402
from sam3clip_export.chinese_clip_text import bert_tokenizer_json  # noqa: E402
from train_projection import main  # noqa: E402
from training.model import PromptTokenizer, TextSegmenter  # noqa: E402


def test_one_training_step_with_the_chinese_tower(tmp_path):
    out = tmp_path / "pkg"
    code = main(["--text-tower", "chinese-clip", "--synthetic-train", "4", "--synthetic-val", "2", "--steps", "1",
                 "--batch-images", "1", "--device", "cpu", "--out", str(out), "--work", str(tmp_path / "work")])
    assert code in (0, None)
    m = json.loads((out / "manifest.json").read_text())
    assert m["tokenizer"] == {"contextLength": 52, "padId": 0, "lowercase": False, "attentionMask": True,
                              "framing": "bert"}
    assert m["dims"]["textEmbedding"] == 512


def test_the_training_tokenizer_frames_prompts_as_transformers(tmp_path):
    model = TextSegmenter("tiny", "tiny", seed=0, text_tower="chinese-clip")
    tok_json = bert_tokenizer_json(str(tmp_path / "tokenizer.json"))
    prompts = ["红色的汽车", "A Red  Car", "一只黑猫的脸 " * 20]
    ids = PromptTokenizer(Path(tok_json), model.text_dims)(prompts)
    want = transformers_tokens(tok_json, prompts, 52)
    assert ids.tolist() == want["ids"].tolist()
    with torch.no_grad():  # the mask the model derives from the pad id is transformers' attention mask
        got = model.text_embeds(ids)
        ref = model.text_encoder(ids, torch.from_numpy(want["attention_mask"]))
    torch.testing.assert_close(got, ref)
