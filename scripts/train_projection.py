"""Train the text-prompt path of a sam3clip model and write it as a model package.

  python scripts/train_projection.py --mode mlp --out .tmp/mlp-pkg            # projection only, rest frozen
  python scripts/train_projection.py --mode end-to-end --out models/shapes-demo --name shapes-demo

Data: a COCO annotation file (--train/--val: category names and referring expressions as prompts), or,
by default, synthetic coloured shapes generated into --work (scripts/training/shapes.py). Checkpoints go to
--work every --checkpoint-every steps; --resume continues from the last one. --export-only writes the
package from the last checkpoint without training.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from training import checkpoint  # noqa: E402
from training.data import PromptData, preprocess  # noqa: E402
from training.embedding_cache import EmbeddingCache  # noqa: E402
from training.evaluate import PromptScores  # noqa: E402
from training.losses import segmentation_loss  # noqa: E402
from training.model import PromptTokenizer, TextSegmenter  # noqa: E402
from training.package import export_package, resolve_tokenizer  # noqa: E402
from training.shapes import write_dataset  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=["mlp", "end-to-end"], default="mlp")
    p.add_argument("--out", type=Path, required=True, help="model package folder to write")
    p.add_argument("--name", default=None, help="manifest name (default: the --out folder name)")
    p.add_argument("--work", type=Path, default=None, help="checkpoints, embedding cache, generated data (default .tmp/train-<name>)")
    p.add_argument("--train", type=Path, help="COCO annotation file (images in images/ beside it)")
    p.add_argument("--val", type=Path, help="held-out COCO annotation file")
    p.add_argument("--synthetic-train", type=int, default=2000, help="shapes images to generate when --train is not given")
    p.add_argument("--synthetic-val", type=int, default=64)
    p.add_argument("--synthetic-same-colour", type=float, default=0.0,
                   help="generated training images: chance a shape reuses the colour of one already drawn, so that "
                        "only the shape word tells them apart (held-out images keep the plain recipe)")
    p.add_argument("--hard-negatives", action=argparse.BooleanOptionalAction, default=False,
                   help="absent prompts sharing a word with a present one first (\"red square\" beside a red circle)")
    p.add_argument("--absent-per-image", type=int, default=2, help="prompts per image for categories it does not contain")
    p.add_argument("--sam3-preset", default="tiny")
    p.add_argument("--clip-preset", default="tiny")
    p.add_argument("--sam3-checkpoint", help="pretrained Sam3Tracker folder (default: random init from the preset)")
    p.add_argument("--clip-checkpoint", help="pretrained CLIP folder (default: random init from the preset); with "
                                             "--text-tower chinese-clip a ChineseCLIPModel folder")
    p.add_argument("--text-tower", choices=["clip", "chinese-clip"], default="clip",
                   help="the text tower; the projection's input width follows it (CLIP L/14 768, Chinese-CLIP base 512)")
    p.add_argument("--tokenizer", type=Path, help="CLIP tokenizer.json (default: built from ../shared/clip)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch-images", type=int, default=4)
    p.add_argument("--lr", type=float, default=None,
                   help="peak learning rate (default 1e-3 for --mode mlp, 3e-4 end to end: at 1e-3 the whole "
                        "tiny model collapses to prompt-independent masks)")
    p.add_argument("--others-weight", type=float, default=0.1,
                   help="weight of the non-best candidates' mask loss (the library takes the last candidate over the "
                        "threshold, not the best, so 1.0 makes every candidate an answer)")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--amp", action=argparse.BooleanOptionalAction, default=None,
                   help="mixed precision: bfloat16 autocast on CPU, float16 + GradScaler on CUDA (default: on for CUDA only)")
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--checkpoint-every", type=int, default=50)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--init-from", type=Path, help="start from this checkpoint's weights (new optimizer, step 0)")
    p.add_argument("--reset-projection", action="store_true",
                   help="with --init-from: start the projection afresh (train a new text path on a trained model)")
    p.add_argument("--freeze-neck", action="store_true",
                   help="end to end: keep the image encoder's FPN neck as loaded (fine-tuning; skips the costly "
                        "weight gradients of its 64x64 convolutions, about 1.7x faster per step on CPU)")
    p.add_argument("--eval-every", type=int, default=0, help="held-out evaluation every N steps (0: at the end only)")
    p.add_argument("--train-text", action=argparse.BooleanOptionalAction, default=False,
                   help="end to end: train the CLIP text tower too (off: it stays as loaded; trained from random "
                        "weights on a few prompts it learned to drop the second word)")
    p.add_argument("--init-projection", action=argparse.BooleanOptionalAction, default=True,
                   help="start the projection standardized over the training prompts' text embeddings")
    p.add_argument("--max-minutes", type=float, default=None, help="stop (with a checkpoint) after this much training time")
    p.add_argument("--export-only", action="store_true", help="write the package from the last checkpoint")
    p.add_argument("--threshold", type=float, default=0.5, help="the library threshold used in evaluation")
    p.add_argument("--weights", choices=["fp32", "fp16"], default="fp32",
                   help="stored precision of the package's weights (fp16: half the size, still computed in fp32)")
    return p.parse_args(argv)


def lr_at(step: int, total: int, base: float) -> float:
    warmup = max(1, min(100, total // 10))
    if step < warmup:
        return base * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


def curve_summary(history: list[float]) -> str:
    """Mean loss in a short window at 0/25/50/75/100% of the run."""
    if not history:
        return "no steps"
    n = len(history)
    w = max(1, n // 40)
    parts = []
    for frac in (0, 0.25, 0.5, 0.75, 1.0):
        i = min(n - w, int(frac * (n - 1)))
        i = max(0, i if frac < 1 else n - w)
        window = history[i:i + w]
        parts.append(f"{int(frac * 100)}%: {sum(window) / len(window):.4f}")
    return "loss " + "  ".join(parts) + f"  ({n} steps, window {w})"


class Trainer:
    def __init__(self, args, model: TextSegmenter, tokenizer: PromptTokenizer, device: torch.device):
        self.args, self.model, self.tokenizer, self.device = args, model, tokenizer, device
        self.mode = args.mode
        self.train_text = args.mode == "end-to-end" and args.train_text
        self.size = model.image_size
        self.prep = lambda im: preprocess(im, self.size).to(device)
        self.text_cache: dict[str, torch.Tensor] = {}
        self.emb_cache = None
        if self.mode == "mlp":
            self.emb_cache = EmbeddingCache(args.work / "embeddings", model.image_encoder, self.size, self.prep)

    def autocast(self):
        if not self.args.amp:
            return contextlib.nullcontext()
        dtype = torch.float16 if self.device.type == "cuda" else torch.bfloat16
        return torch.autocast(self.device.type, dtype=dtype)

    def prompt_embeds(self, prompts: list[str]) -> torch.Tensor:
        if not self.train_text:  # frozen text tower: one embedding per distinct prompt, ever
            missing = [p for p in prompts if p not in self.text_cache]
            if missing:
                with torch.no_grad():
                    emb = self.model.text_embeds(self.tokenizer(missing).to(self.device)).float()
                self.text_cache.update(zip(missing, emb))
            text = torch.stack([self.text_cache[p] for p in prompts])
        else:
            text = self.model.text_embeds(self.tokenizer(prompts).to(self.device))
        return self.model.projection(text)

    def image_feats(self, items) -> list[tuple[torch.Tensor, ...]]:
        if self.emb_cache is not None:
            return [tuple(t.to(self.device) for t in self.emb_cache.get(it.image)) for it in items]
        pix = torch.cat([self.prep(it.image) for it in items])
        e, h0, h1 = self.model.encode_images(pix)
        return [(e[b:b + 1], h0[b:b + 1], h1[b:b + 1]) for b in range(len(items))]

    def forward(self, items):
        """Yields (item, masks [S,K,m,m], iou [S,K]) for each image's samples."""
        prompts = sorted({s.prompt for it in items for s in it.samples})
        index = {p: i for i, p in enumerate(prompts)}
        with self.autocast():
            pe = self.prompt_embeds(prompts)
            feats = self.image_feats(items)
            for it, f in zip(items, feats):
                sel = torch.tensor([index[s.prompt] for s in it.samples], device=self.device)
                masks, iou = self.model.decode(f, pe[sel])
                yield it, masks, iou

    def loss(self, items):
        total, parts_sum = 0.0, {}
        for it, masks, iou in self.forward(items):
            target = torch.stack(it.targets).to(self.device)
            loss, parts = segmentation_loss(masks, iou, target, others_weight=self.args.others_weight)
            total = total + loss
            for k, v in parts.items():
                parts_sum[k] = parts_sum.get(k, 0.0) + float(v)
        n = len(items)
        return total / n, {k: v / n for k, v in parts_sum.items()}

    @torch.no_grad()
    def evaluate(self, data: PromptData) -> PromptScores:
        self.model.eval()
        scores = PromptScores()
        for i in range(0, len(data.items), 8):
            chunk = data.items[i:i + 8]
            for it, masks, iou in self.forward(chunk):
                for s, t, m, q in zip(it.samples, it.targets, masks, iou):
                    scores.add(s.prompt, m, q, t.to(self.device), self.args.threshold)
        return scores


def datasets(args) -> tuple[Path, Path]:
    train, val = args.train, args.val
    if train is None:
        train = args.work / "shapes-train" / "annotations.json"
        if not train.exists():
            write_dataset(train.parent, args.synthetic_train, seed=args.seed, same_colour=args.synthetic_same_colour)
    if val is None:
        # A seed far from any training seed: held-out images never seen in training.
        val = args.work / "shapes-val" / "annotations.json"
        if not val.exists():
            write_dataset(val.parent, args.synthetic_val, seed=args.seed + 100_003)
    return train, val


def tokenizer_json(args) -> Path:
    """The package's tokenizer.json: --tokenizer, the CLIP checkpoint's own, or built from ../shared/clip."""
    if args.tokenizer:
        return args.tokenizer
    path = args.work / "tokenizer.json"
    if not path.exists():
        resolve_tokenizer(str(path), args.clip_checkpoint, framing="bert" if args.text_tower == "chinese-clip" else "clip")
    return path


def main(argv=None) -> int:
    args = parse_args(argv)
    args.name = args.name or args.out.name
    args.lr = args.lr if args.lr is not None else (1e-3 if args.mode == "mlp" else 3e-4)
    args.work = args.work or ROOT / ".tmp" / f"train-{args.name}"
    args.work.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if args.device == "auto" else args.device))
    if args.amp is None:
        args.amp = device.type == "cuda"
    ckpt_path = args.work / f"checkpoint-{args.mode}.pt"
    log = lambda *a: print(*a, flush=True)  # noqa: E731

    model = TextSegmenter(args.sam3_preset, args.clip_preset, args.seed, args.sam3_checkpoint, args.clip_checkpoint,
                          text_tower=args.text_tower).to(device)
    params = model.trainable(args.mode, args.train_text, freeze_neck=args.freeze_neck)
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    scaler = torch.amp.GradScaler("cuda") if args.amp and device.type == "cuda" else None
    tok_path = tokenizer_json(args)
    tokenizer = PromptTokenizer(tok_path, model.text_dims)
    train_path, val_path = datasets(args)

    step, history = 0, []
    if args.init_from is not None and not (args.resume and ckpt_path.exists()):
        added = model.load_grown(checkpoint.load(args.init_from)["model"])
        log(f"weights from {args.init_from}" + (f"; new ViT layers {', '.join(added)} start as the identity" if added else ""))
        if args.reset_projection:
            model.reset_projection(args.seed)
    if args.resume or args.export_only:
        if not ckpt_path.exists():
            if args.export_only:
                raise SystemExit(f"no checkpoint at {ckpt_path}")
            log(f"no checkpoint at {ckpt_path}: starting fresh")
        else:
            state = checkpoint.load(ckpt_path)
            model.load_state_dict(state["model"])
            if state["optimizer"] is not None and not args.export_only:
                optimizer.load_state_dict(state["optimizer"])
            step, history = state["step"], state["history"]
            torch.set_rng_state(state["torch_rng"])
            log(f"resumed from {ckpt_path} at step {step}")

    trainer = Trainer(args, model, tokenizer, device)
    val = PromptData(val_path, absent_per_image=args.absent_per_image, seed=args.seed + 1)
    if not args.export_only:
        train = PromptData(train_path, absent_per_image=args.absent_per_image, seed=args.seed,
                           hard_negatives=args.hard_negatives)
        if args.resume and ckpt_path.exists():
            train.rng.setstate(state["data_rng"])
        if step == 0 and args.init_projection and (args.init_from is None or args.reset_projection):
            with torch.no_grad():
                text = model.text_embeds(tokenizer(train.prompts).to(device)).float()
            model.projection.init_from_text(text)
            log(f"projection standardized over {len(train.prompts)} training prompts")
        log(f"mode {args.mode}: {sum(p.numel() for p in params) / 1e6:.3f}M trainable of "
            f"{sum(p.numel() for p in model.parameters()) / 1e6:.3f}M; {len(train.items)} train images, "
            f"{len(train.prompts)} prompts; S={model.image_size}; amp={args.amp}; device={device}")
        start = time.time()
        model.train()
        while step < args.steps:
            for g in optimizer.param_groups:
                g["lr"] = lr_at(step, args.steps, args.lr)
            loss, parts = trainer.loss(train.batch(args.batch_images))
            optimizer.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimizer.step()
            step += 1
            history.append(loss.item())
            if step % 10 == 0:
                log(f"step {step}/{args.steps} loss {loss.item():.4f} mask {parts['mask']:.4f} iou-mse {parts['iou']:.4f} "
                    f"best-IoU {parts['best_iou']:.3f} lr {optimizer.param_groups[0]['lr']:.2e} {time.time() - start:.0f}s")
            out_of_time = args.max_minutes is not None and time.time() - start > args.max_minutes * 60
            if step % args.checkpoint_every == 0 or step == args.steps or out_of_time:
                checkpoint.save(ckpt_path, model, optimizer, step, history, vars(args) | {"out": str(args.out)}, train.rng)
            if args.eval_every and step % args.eval_every == 0 and step < args.steps:
                scores = trainer.evaluate(val)
                model.train()
                log(f"held-out at step {step}:\n{scores.format()}")
            if out_of_time:
                log(f"stopping after {args.max_minutes} min at step {step} (resume with --resume)")
                break
        log(f"training: {time.time() - start:.0f}s this run; {curve_summary(history)}")
        if trainer.emb_cache is not None:
            log(f"embedding cache: {trainer.emb_cache.hits} hits, {trainer.emb_cache.misses} encoder runs")

    scores = trainer.evaluate(val)
    log(f"held-out ({val_path}), library threshold {args.threshold}:\n{scores.format()}")
    files = export_package(model, args.out, args.name, tok_path, weights=args.weights)
    (args.work / f"eval-{args.mode}.json").write_text(json.dumps({"step": step, "curve": curve_summary(history),
                                                                  "heldout": scores.summary()}, indent=1))
    log(f"wrote {args.out}: " + ", ".join(f"{f.name} {f.stat().st_size / 1e6:.2f} MB" for f in files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
