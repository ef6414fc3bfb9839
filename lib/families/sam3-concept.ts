/**
 * SAM3's own text path (family sam3-concept, transformers Sam3Model): its text tower gives per-token
 * features, the detector scores Q queries against them and predicts a box and a mask for each. Every
 * query whose score σ(logit)·σ(presence) passes the threshold is an instance. Post-processing is
 * transformers' post_process_instance_segmentation (σ of the mask logits, bilinear straight to the
 * original size, > the mask threshold; boxes scaled to the image), then the product's own steps: boxes
 * clipped to the image, the k×k close per instance, negative prompts' instances removed.
 */
import { Sam3ClipError, throwIfAborted } from '../errors.js';
import type { Backend, DeviceBackend, FloatTensor, HostBackend, HostTensor, ImageFeatures } from '../backends/backend.js';
import { mapLimited } from '../map-limited.js';
import { checkInstanceBudget, instanceMaskCapacity, POSTPROCESS_CONCURRENCY } from '../mask-budget.js';
import { subtractMask, unionMask, type Mask } from '../mask.js';
import { hasBoxExemplars, hasInteractivePath, promptPaths, type ConceptManifest } from '../model/manifest-types.js';
import { morphology, postprocessInstanceMasks } from '../ops.js';
import { isInteractive, type ResolvedPrompt } from '../prompts.js';
import type { TokenBatch } from '../tokenizer.js';
import { cachedPromptRows } from './prompt-rows.js';
import { segmentInteractive } from './interactive.js';
import {
  deviceBackendFor,
  deviceInputs,
  unsupportedPrompt,
  type Box,
  type BoxExemplar,
  type FamilyInstance,
  type InteractivePromptCall,
  type ModelFamily,
  type PromptCall,
  type PromptOutcome,
  type PromptRoute,
} from './family.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Every query's score σ(logit)·σ(presence) for one prompt, the best of them, and σ(presence). */
function queryScores(logits: Float32Array, presenceLogit: number): { presence: number; scores: number[]; best: number } {
  const presence = sigmoid(presenceLogit);
  const scores = Array.from(logits, (l) => sigmoid(l) * presence);
  return { presence, scores, best: scores.reduce((a, v) => Math.max(a, v), 0) };
}

/** Query q's box of `boxes` (Q × 4, xyxy on the 0–1 scale) in pixels of a W × H image, clipped to it. */
function pixelBox(boxes: Float32Array, q: number, W: number, H: number): Box {
  const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  const o = q * 4;
  return [clip(boxes[o]! * W, W), clip(boxes[o + 1]! * H, H), clip(boxes[o + 2]! * W, W), clip(boxes[o + 3]! * H, H)];
}

/**
 * Memory one detector run may take. ONNX Runtime needs about 26× a prompt's mask-logit output
 * (Q·m²·4 bytes) in working memory per prompt — 1.7 GiB at full size (Q = 200, m = 288) — so prompts
 * go through in chunks that stay under this: 2 per run at full size, all of them at tiny sizes.
 */
const DETECTOR_MEMORY_BYTES = 4 * 2 ** 30;
const DETECTOR_BYTES_PER_LOGIT_BYTE = 26;

/** What the detector found for one prompt: the kept queries, best first, with their mask logits. */
interface Detection {
  presence: number;
  /** The best score among all queries, kept or not. */
  best: number;
  scores: number[];
  boxes: Box[];
  /** kept × m × m logits, in the order of `scores`. */
  logits: Float32Array;
}

/**
 * A box exemplar as Sam3Processor hands it to Sam3Model: original pixels normalized by the image's
 * width and height, then [x0, y0, x1, y1] → [cx, cy, w, h].
 */
export function exemplarBoxInput([x0, y0, x1, y1]: Box, width: number, height: number): [number, number, number, number] {
  // In float32, as the processor computes it.
  const f = Math.fround;
  const [nx0, ny0, nx1, ny1] = [f(x0 / width), f(y0 / height), f(x1 / width), f(y1 / height)];
  return [f(f(nx0 + nx1) / 2), f(f(ny0 + ny1) / 2), f(nx1 - nx0), f(ny1 - ny0)];
}

export class Sam3ConceptFamily implements ModelFamily {
  constructor(private readonly manifest: ConceptManifest) {}

  /**
   * Text (with a box exemplar where the package has detector_boxes) goes to the detector; points
   * and boxes alone to the tracker's interactive path. Points beside text are refused: on this
   * family they refine one found instance (Segmenter.refine).
   */
  routePrompt(p: ResolvedPrompt, field: string): PromptRoute {
    const offers: string[] = [...promptPaths(this.manifest), ...(hasBoxExemplars(this.manifest) ? ['text with a box exemplar'] : [])];
    if (p.text !== undefined) {
      if (p.points.length > 0)
        throw new Sam3ClipError(
          'E_INVALID_PROMPT',
          `${field}: on sam3-concept, text finds every instance and points refine one of them: segment the text, then call refine(result.instances[i], { points, labels })`,
          { field },
        );
      if ((p.box || p.boxes) && !hasBoxExemplars(this.manifest))
        throw unsupportedPrompt(field, 'box exemplars', offers, 'Export the package again to add detector_boxes (docs/model-package.md)');
      return 'text';
    }
    if (!hasInteractivePath(this.manifest))
      throw unsupportedPrompt(field, 'points and boxes', offers, 'Export the package again to add the tracker graphs (docs/model-package.md)');
    if (p.boxLabel === 0 && p.points.length === 0)
      throw new Sam3ClipError('E_INVALID_PROMPT', `${field}.labels: a negative box is an exemplar beside text ({ text, box, labels: [0] })`, {
        field: `${field}.labels`,
      });
    return 'interactive';
  }

  /** Points and boxes through the tracker's prompt encoder and mask decoder, on the same image encoding. */
  async segmentInteractive(backend: Backend, call: InteractivePromptCall): Promise<PromptOutcome[]> {
    const tracker = this.manifest.tracker;
    if (!tracker) throw new Sam3ClipError('E_INVALID_PROMPT', 'This package has no interactive path', { field: 'prompt' });
    return segmentInteractive(
      backend,
      {
        imageInputs: ['image_embeddings', 'high_res_feats_0', 'high_res_feats_1'],
        tokenWidth: tracker.embeddingChannels,
        candidates: tracker.candidates,
        maskSize: tracker.maskSize,
        inputSize: this.manifest.image.size,
        resize: this.manifest.image.resize,
      },
      call.prompts.map((prompt) => ({ prompt })),
      { embedding: call.embedding, features: call.features, opts: call.opts, ...(call.negative ? { negative: call.negative } : {}), t: call.t },
      call.allCandidates,
    );
  }

  /** Prompts per detector run (see DETECTOR_MEMORY_BYTES). */
  get detectorBatch(): number {
    const { queries: Q } = this.manifest.dims;
    const m = this.manifest.mask.size;
    return Math.max(1, Math.floor(DETECTOR_MEMORY_BYTES / (Q * m * m * 4 * DETECTOR_BYTES_PER_LOGIT_BYTE)));
  }

  /** text_features [B, L, T] of every prompt; the ones not in the prompt cache run as one batch. */
  private async textFeatures(call: PromptCall, tokens: TokenBatch, backend: HostBackend): Promise<Float32Array> {
    const { t } = call;
    const L = tokens.contextLength;
    const T = this.manifest.dims.textFeatures;
    t.promptEncoder = 0;
    return cachedPromptRows(call, L * T, async (missing) => {
      const start = performance.now();
      const ids = new BigInt64Array(missing.length * L);
      const mask = new BigInt64Array(missing.length * L);
      missing.forEach((i, b) => {
        ids.set(tokens.ids.subarray(i * L, (i + 1) * L), b * L);
        mask.set(tokens.attentionMask.subarray(i * L, (i + 1) * L), b * L);
      });
      const dims = [missing.length, L];
      const out = await backend.run(
        'text_encoder',
        { input_ids: { type: 'int64', dims, data: ids }, attention_mask: { type: 'int64', dims, data: mask } },
        (t.sessions ??= {}),
      );
      t.promptEncoder = performance.now() - start;
      const features = out.text_features!;
      if (features.data.length !== missing.length * L * T)
        throw new Sam3ClipError('E_MODEL_SHAPE', `text_encoder returned text_features ${features.dims.join('×')}, expected ${missing.length}×${L}×${T}`, {
          field: 'text_features',
        });
      return features.data;
    });
  }

  /** Runs the detector over prompts [from, to) and keeps, per prompt, the queries above the threshold. */
  private async detect(
    backend: HostBackend,
    call: PromptCall,
    features: ImageFeatures,
    text: Float32Array,
    tokens: TokenBatch,
    from: number,
    to: number,
    exemplars?: BoxExemplar[],
  ): Promise<Detection[]> {
    const { embedding, opts, t } = call;
    const { queries: Q, textFeatures: T } = this.manifest.dims;
    const m = this.manifest.mask.size;
    const L = tokens.contextLength;
    const B = to - from;
    const threshold = opts.threshold ?? this.manifest.thresholds.score;
    const feeds: Record<string, HostTensor> = {
      text_features: { type: 'float32', dims: [B, L, T], data: text.subarray(from * L * T, to * L * T) },
      attention_mask: { type: 'int64', dims: [B, L], data: tokens.attentionMask.subarray(from * L, to * L) },
    };
    for (const name of ['fpn_feats_0', 'fpn_feats_1', 'fpn_feats_2']) {
      const f = features[name];
      if (!f) throw new Sam3ClipError('E_MODEL_SHAPE', `image_encoder gave no ${name}`, { field: name });
      feeds[name] = { type: 'float32', ...f };
    }
    if (exemplars) {
      // One prompt per run: each exemplar prompt has its own boxes.
      const nb = exemplars.length;
      feeds.input_boxes = {
        type: 'float32',
        dims: [1, nb, 4],
        data: Float32Array.from(exemplars.flatMap((e) => exemplarBoxInput(e.box, embedding.width, embedding.height))),
      };
      feeds.input_boxes_labels = { type: 'int64', dims: [1, nb], data: BigInt64Array.from(exemplars.map((e) => BigInt(e.label))) };
    }
    const start = performance.now();
    const out = await backend.run(exemplars ? 'detector_boxes' : 'detector', feeds, (t.sessions ??= {}));
    t.decoder = (t.decoder ?? 0) + (performance.now() - start);
    const need = (name: string, size: number): FloatTensor => {
      const v = out[name];
      if (!v || v.data.length !== size)
        throw new Sam3ClipError('E_MODEL_SHAPE', `detector returned ${name} ${v?.dims.join('×') ?? '(none)'}, expected ${size} values for ${B} prompts`, {
          field: name,
        });
      return v;
    };
    const logits = need('pred_logits', B * Q).data;
    const boxes = need('pred_boxes', B * Q * 4).data;
    const masks = need('pred_masks', B * Q * m * m).data;
    const presence = need('presence_logits', B).data;
    const W = embedding.width;
    const H = embedding.height;
    return Array.from({ length: B }, (_, b): Detection => {
      const { presence: p, scores, best } = queryScores(logits.subarray(b * Q, (b + 1) * Q), presence[b]!);
      // transformers keeps score > threshold in query order; results here are best first, at most maxInstances.
      const kept = scores
        .map((score, q) => ({ q, score }))
        .filter((s) => s.score > threshold)
        .sort((a, c) => c.score - a.score || a.q - c.q)
        .slice(0, opts.maxInstances);
      const keptLogits = new Float32Array(kept.length * m * m);
      kept.forEach(({ q }, i) => keptLogits.set(masks.subarray((b * Q + q) * m * m, (b * Q + q + 1) * m * m), i * m * m));
      return {
        presence: p,
        best,
        scores: kept.map((k) => k.score),
        boxes: kept.map(({ q }) => pixelBox(boxes, b * Q + q, W, H)),
        logits: keptLogits,
      };
    });
  }

  /** A detection's instance masks at the original size, smoothed. */
  private async instanceMasks(d: Detection, call: PromptCall): Promise<Mask[]> {
    if (d.scores.length === 0) return [];
    const { embedding, opts } = call;
    const masks = await postprocessInstanceMasks(d.logits, {
      numMasks: d.scores.length,
      maskSize: this.manifest.mask.size,
      originalHw: [embedding.height, embedding.width],
      maskThreshold: this.manifest.thresholds.mask,
    });
    const k = opts.smoothness;
    return k > 1 ? mapLimited(masks, POSTPROCESS_CONCURRENCY, (mask) => morphology(mask, { op: 'close', k })) : masks;
  }

  async segmentOnHost(backend: HostBackend, call: PromptCall): Promise<PromptOutcome[]> {
    const { all, positiveCount, embedding, opts, tokenizer, t } = call;
    const features = call.features as ImageFeatures;
    let mark = performance.now();
    const tokens = await tokenizer.encodeBatch(all);
    t.tokenize = performance.now() - mark;
    const text = await this.textFeatures(call, tokens, backend);
    throwIfAborted(opts.signal);

    t.decoder = 0;
    const detections: Detection[] = [];
    // Runs of prompts without an exemplar go through in chunks; a prompt with one runs alone.
    for (let from = 0; from < all.length; ) {
      const exemplar = call.exemplars?.[from];
      let to = from + 1;
      if (!exemplar) while (to < all.length && to - from < this.detectorBatch && !call.exemplars?.[to]) to++;
      detections.push(...(await this.detect(backend, call, features, text, tokens, from, to, exemplar)));
      throwIfAborted(opts.signal);
      from = to;
    }
    // Now the instance count is known: refuse before any full-size mask is made.
    const instanceCount = detections.reduce((n, d) => n + d.scores.length, 0);
    checkInstanceBudget(embedding.width, embedding.height, instanceCount, positiveCount, call.maskBudgetMiB);

    mark = performance.now();
    let negative: Mask | undefined;
    for (const d of detections.slice(positiveCount))
      for (const mask of await this.instanceMasks(d, call)) {
        if (negative) unionMask(negative, mask);
        else negative = mask;
      }
    const outcomes = await mapLimited(detections.slice(0, positiveCount), POSTPROCESS_CONCURRENCY, async (d) =>
      outcomeOf(d, await this.instanceMasks(d, call), negative, embedding.width, embedding.height),
    );
    t.postprocess = performance.now() - mark;
    return outcomes;
  }

  /**
   * Device path: text encoder and detector on the GPU, the kept queries picked from the small
   * tensors, their masks post-processed and smoothed there; negatives are subtracted here. Text
   * features are not cached: they never leave the device.
   */
  async segmentOnDevice(device: DeviceBackend, call: PromptCall): Promise<PromptOutcome[]> {
    const backend = deviceBackendFor(device, 'sam3-concept');
    const { all, positiveCount, embedding, opts, t } = call;
    const { features, tokens } = await deviceInputs(call);
    throwIfAborted(opts.signal);
    const W = embedding.width;
    const H = embedding.height;
    // The instance masks checkInstanceBudget allows: the device makes none when more queries are kept.
    const maxMasks = Math.max(0, instanceMaskCapacity(W, H, positiveCount, call.maskBudgetMiB));
    const mark = performance.now();
    const sessions = (t.sessions ??= {});
    const out = await backend.detectOnDevice(
      features,
      tokens,
      {
        threshold: opts.threshold ?? this.manifest.thresholds.score,
        maxInstances: opts.maxInstances,
        maskThreshold: this.manifest.thresholds.mask,
        smoothness: opts.smoothness,
        originalHw: [H, W],
        maxMasks,
      },
      sessions,
    );
    const elapsed = performance.now() - mark;
    t.promptEncoder = sessions.text_encoder ?? 0;
    t.decoder = sessions.detector ?? 0;
    t.postprocess = Math.max(0, elapsed - t.promptEncoder - t.decoder);
    const instanceCount = out.prompts.reduce((n, p) => n + p.kept.length, 0);
    checkInstanceBudget(W, H, instanceCount, positiveCount, call.maskBudgetMiB);
    if (out.masksSkipped) throw new Sam3ClipError('E_REQUEST_TOO_LARGE', `${instanceCount} instances exceed the mask budget`, { field: 'maskBudgetMiB' });

    const detections = out.prompts.map((p): { d: Detection; masks: Mask[] } => {
      const { presence, scores, best } = queryScores(p.logits, p.presenceLogit);
      const kept = Array.from(p.kept);
      return {
        d: {
          presence,
          best,
          scores: kept.map((q) => scores[q]!),
          boxes: kept.map((q) => pixelBox(p.boxes, q, W, H)),
          logits: new Float32Array(0),
        },
        masks: p.masks.map((data) => ({ width: W, height: H, data })),
      };
    });
    let negative: Mask | undefined;
    for (const { masks } of detections.slice(positiveCount))
      for (const mask of masks) {
        if (negative) unionMask(negative, mask);
        else negative = { width: W, height: H, data: mask.data.slice() };
      }
    return detections.slice(0, positiveCount).map(({ d, masks }) => outcomeOf(d, masks, negative, W, H));
  }
}

/** A positive prompt's outcome from its instances: negatives removed, emptied instances dropped, the union. */
function outcomeOf(d: Detection, masks: Mask[], negative: Mask | undefined, width: number, height: number): PromptOutcome {
  const union: Mask = { width, height, data: new Uint8Array(width * height) };
  const instances: FamilyInstance[] = [];
  masks.forEach((mask, i) => {
    if (negative) subtractMask(mask, negative);
    // An instance the negative prompts covered entirely is gone, not an empty instance.
    if (negative && !mask.data.includes(1)) return;
    unionMask(union, mask);
    instances.push({ mask, score: d.scores[i]!, box: d.boxes[i]! });
  });
  return {
    instances,
    mask: union,
    score: instances[0]?.score ?? d.best,
    passedThreshold: instances.length > 0,
    presence: d.presence,
  };
}
