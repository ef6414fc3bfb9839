"""The PyTorch half of `npm run bench:compare` (CI runs this file once .venv exists; the vitest smoke test covers
the library's backends before it): scripts/bench/torch_reference.py must run the package's own weights — its
scores on the committed fixtures' reference images equal the committed references — and report every stage; and
the coordinator must set it beside ONNX Runtime with ratios against PyTorch BF16."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from sam3clip_export.concept_fixture import CONCEPT_PACKAGE_DIR, CONCEPT_REFERENCE_DIR, SHARED_IMAGES
from sam3clip_export.fixture import REFERENCE_DIR, TINY_PACKAGE_DIR
from sam3clip_export.tokenizer import REPO_ROOT

WORKER = os.path.join(REPO_ROOT, "scripts", "bench", "torch_reference.py")
STAGES = {"decodePreprocess", "imageEncoder", "textTower", "promptPath", "postprocess", "total"}


class Reference:
    """torch_reference.py in a child process, spoken to over its JSON-lines protocol."""

    def __init__(self, package: str, precision: str):
        self.proc = subprocess.Popen([sys.executable, WORKER, "--models", package, "--precision", precision,
                                      "--threads", "2"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.ready = json.loads(self.proc.stdout.readline())
        self.next_id = 0

    def ask(self, op: str, **request) -> dict:
        self.next_id += 1
        self.proc.stdin.write(json.dumps({"id": self.next_id, "op": op, **request}) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        assert answer["id"] == self.next_id and answer["ok"], answer
        return answer

    def close(self) -> None:
        self.ask("quit")
        self.proc.stdin.close()
        assert self.proc.wait(timeout=30) == 0


@pytest.fixture
def reference(request):
    made = []

    def start(package: str, precision: str = "fp32") -> Reference:
        r = Reference(package, precision)
        made.append(r)
        assert r.ready["ready"], r.ready
        return r

    yield start
    for r in made:
        r.close()


def cases(ref_dir: str) -> dict[str, list[dict]]:
    with open(os.path.join(ref_dir, "reference.json")) as f:
        by_image: dict[str, list[dict]] = {}
        for c in json.load(f)["cases"]:
            by_image.setdefault(c["image"], []).append(c)
    return by_image


def test_tracker_reference_runs_the_package_weights(reference):
    r = reference(TINY_PACKAGE_DIR)
    for image, group in cases(REFERENCE_DIR).items():
        answer = r.ask("segment", image=os.path.join(REFERENCE_DIR, image), prompts=[c["prompt"] for c in group])
        assert set(answer["stages"]) == STAGES and all(v > 0 for v in answer["stages"].values())
        for c, scores in zip(group, answer["scores"]):
            assert scores == pytest.approx(c["iouScores"], abs=1e-4), (image, c["prompt"])


@pytest.mark.skipif(not os.path.isdir(SHARED_IMAGES), reason=f"the concept references' photos are in {SHARED_IMAGES}")
def test_concept_reference_runs_the_package_weights(reference):
    r = reference(CONCEPT_PACKAGE_DIR)
    for image, group in list(cases(CONCEPT_REFERENCE_DIR).items())[:2]:
        answer = r.ask("segment", image=os.path.join(SHARED_IMAGES, image), prompts=[c["prompt"] for c in group])
        for c, (presence, best) in zip(group, answer["scores"]):
            assert presence == pytest.approx(c["presence"], abs=1e-4), (image, c["prompt"])
            assert best == pytest.approx(max(c["scores"]), abs=1e-4), (image, c["prompt"])


@pytest.mark.parametrize("package", [TINY_PACKAGE_DIR, CONCEPT_PACKAGE_DIR], ids=["sam3", "sam3-concept"])
def test_bf16_reference_answers_every_op(reference, package):
    r = reference(package, "bf16")
    assert "BF16 autocast" in r.ready["info"]["reason"]
    image = os.path.join(REFERENCE_DIR, "landscape-96x64.png")
    r.ask("embed", image=image, key="a")
    query = r.ask("query", key="a", prompts=["a red car", "sky"])
    assert {"textTower", "promptPath", "postprocess", "total"} <= set(query["stages"])
    assert len(query["scores"]) == 2
    both = r.ask("concurrent", images=[image, os.path.join(REFERENCE_DIR, "portrait-45x80.png")], prompts=["sky"])
    assert both["wallMs"] > 0 and len(both["callsMs"]) == 2
    stats = r.ask("stats")
    assert stats["peakRssMiB"] >= stats["rssMiB"] > 0


def test_reference_refuses_a_package_it_cannot_rebuild(tmp_path):
    """Without export-info.json and checkpoints the weights are unknown: say so instead of timing a random model."""
    package = tmp_path / "pkg"
    shutil.copytree(TINY_PACKAGE_DIR, package, ignore=shutil.ignore_patterns("export-info.json"))
    proc = subprocess.run([sys.executable, WORKER, "--models", str(package)], input="", capture_output=True, text=True)
    ready = json.loads(proc.stdout.splitlines()[0])
    assert proc.returncode == 1 and not ready["ready"]
    assert "export-info.json" in ready["error"] and "--sam-checkpoint" in ready["error"]


TSX = os.path.join(REPO_ROOT, "node_modules", ".bin", "tsx")


@pytest.mark.skipif(not (os.path.isfile(os.path.join(REPO_ROOT, "dist", "index.js")) and os.path.exists(TSX)),
                    reason="the coordinator runs on the built library (npm ci && npm run build:ts)")
def test_coordinator_sets_pytorch_beside_onnx_runtime():
    cmd = [TSX, os.path.join(REPO_ROOT, "scripts", "bench", "bench-compare.ts"), "--models", TINY_PACKAGE_DIR,
           "--runs", "1", "--json", "--backends", "ort,torch-fp32,torch-bf16", "--prompts", "1,4", "--large-mp", "2",
           "--concurrent", "2", "--python", sys.executable]
    out = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    c = json.loads(out.stdout)
    assert [b["id"] for b in c["backends"] if b["available"]] == ["ort", "torch-fp32", "torch-bf16"], c["backends"]
    assert c["measurements"]["failures"] == {}
    for scenario in c["measurements"]["scenarios"]:
        for backend, stages in scenario["results"].items():
            assert all(f["median"] > 0 for f in stages.values()), (scenario["id"], backend)
            assert all(f["ratio"]["median"] > 0 for f in stages.values()), (scenario["id"], backend)
        assert all(f["ratio"]["median"] == 1 for f in scenario["results"]["torch-bf16"].values())
    assert c["measurements"]["agreement"]["maxAbsDiff"]["ort"] < 1e-4
    assert all(b["peakRssMiB"] > 0 for b in c["backends"])
