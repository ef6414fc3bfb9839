#!/usr/bin/env python3
"""The PyTorch reference of `npm run bench:compare`: one package's pipeline in PyTorch (FP32, or BF16 under CPU
autocast), answering the benchmark's JSON-lines protocol (scripts/bench/compare/protocol.ts) on stdin/stdout.

  .venv/bin/python scripts/bench/torch_reference.py --models PKG --precision fp32|bf16 --threads N \
      [--sam-checkpoint DIR] [--clip-checkpoint DIR] [--projection FILE]

The weights are the package's: the export's own modules rebuilt from its export-info.json (the seed and preset of
a --random-init package, the checkpoint folders of an exported one; sam3clip_export/rebuild.py), or from the
checkpoints given here. A package without export-info.json (one written by the training scripts) needs them.

Requests, one JSON object a line: {"id", "op": "segment", "image", "prompts"}, {"id", "op": "embed", "image",
"key"}, {"id", "op": "query", "key", "prompts"}, {"id", "op": "release", "key"}, {"id", "op": "concurrent",
"images", "prompts"}, {"id", "op": "stats"}, {"id", "op": "quit"}. Each answer carries the request's id, "ok", and
the stage times in ms ("stages"), the scores, or an "error". The first line written is {"ready": true, ...} or
{"ready": false, "error"}.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "export"))


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib() -> float:
    """VmHWM: the kernel's high-water mark folded with the current RSS (getrusage's ru_maxrss lags behind it)."""
    try:
        with open("/proc/self/status") as f:
            line = next(x for x in f if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class Worker:
    """The protocol's operations over one BenchPipeline; ``timed`` makes a stage-time recorder (bench_pipeline.Timed,
    passed in because torch is imported only once the coordinator can be told when that fails)."""

    def __init__(self, pipeline, timed):
        self.pipeline = pipeline
        self.timed = timed
        self.embeddings = {}

    def segment(self, req):
        timed = self.timed()
        scores = self.pipeline.segment(req["image"], req["prompts"], timed)
        return {"stages": timed.stages, "scores": scores}

    def embed(self, req):
        timed = self.timed()
        start = time.perf_counter()
        self.embeddings[req["key"]] = self.pipeline.embed(req["image"], timed)
        timed.stages["total"] = (time.perf_counter() - start) * 1000
        return {"stages": timed.stages}

    def query(self, req):
        timed = self.timed()
        start = time.perf_counter()
        scores = self.pipeline.query(self.embeddings[req["key"]], req["prompts"], timed)
        timed.stages["total"] = (time.perf_counter() - start) * 1000
        return {"stages": timed.stages, "scores": scores}

    def release(self, req):
        self.embeddings.pop(req["key"], None)
        return {}

    def concurrent(self, req):
        """Every image at once from its own thread, as a threaded server would take simultaneous requests; torch
        releases the GIL inside its kernels, so the calls overlap as far as the thread pool lets them."""
        def one(image):
            start = time.perf_counter()
            self.segment({"image": image, "prompts": req["prompts"]})
            return (time.perf_counter() - start) * 1000

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(req["images"])) as pool:
            calls = list(pool.map(one, req["images"]))
        return {"wallMs": (time.perf_counter() - start) * 1000, "callsMs": calls}

    def stats(self, req):
        return {"rssMiB": rss_mib(), "peakRssMiB": peak_rss_mib()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", required=True, help="model package folder")
    ap.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--sam-checkpoint")
    ap.add_argument("--clip-checkpoint")
    ap.add_argument("--projection")
    args = ap.parse_args(argv)

    # The protocol owns stdout; anything a library prints goes to stderr.
    out = sys.stdout
    sys.stdout = sys.stderr

    def send(message: dict) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    start = time.perf_counter()
    try:
        import torch

        from sam3clip_export.bench_pipeline import BenchPipeline, Timed
        from sam3clip_export.rebuild import rebuild_modules

        torch.set_num_threads(args.threads)
        with open(os.path.join(args.models, "manifest.json")) as f:
            manifest = json.load(f)
        modules = rebuild_modules(args.models, family=manifest["family"], sam_checkpoint=args.sam_checkpoint,
                                  clip_checkpoint=args.clip_checkpoint, projection=args.projection)
        if args.precision == "bf16" and not torch.backends.mkldnn.is_available():
            raise RuntimeError("this PyTorch build has no oneDNN, which its CPU BF16 kernels need")
        worker = Worker(BenchPipeline(modules, manifest, args.models, args.precision), Timed)
    except Exception as err:  # noqa: BLE001 — any failure to load is reported to the coordinator
        send({"ready": False, "error": f"{type(err).__name__}: {err}"})
        return 1
    import transformers

    send({"ready": True, "loadMs": (time.perf_counter() - start) * 1000, "rssMiB": rss_mib(),
          "info": {"name": f"torch-{args.precision}",
                   "reason": f"PyTorch {torch.__version__} (transformers {transformers.__version__}), "
                             f"{'BF16 autocast' if args.precision == 'bf16' else 'FP32'}, {torch.get_num_threads()} threads",
                   "torch": torch.__version__, "transformers": transformers.__version__,
                   "threads": torch.get_num_threads()}})
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        op = req.get("op")
        if op == "quit":
            send({"id": req.get("id"), "ok": True})
            break
        handler = getattr(worker, op, None) if op in ("segment", "embed", "query", "release", "concurrent", "stats") else None
        try:
            if handler is None:
                raise ValueError(f"unknown op {op!r}")
            send({"id": req["id"], "ok": True, **handler(req)})
        except Exception as err:  # noqa: BLE001 — a failed request is answered, the worker stays up
            traceback.print_exc(file=sys.stderr)
            send({"id": req.get("id"), "ok": False, "error": f"{type(err).__name__}: {err}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
