/**
 * The design card's path (families sam3, sam2, sam, fixture): text tower → projection MLP → a SAM
 * mask decoder with 3 candidates + predicted IoU → the seed's threshold rule → upsample → binarize →
 * k×k close. One mask per prompt.
 */
import { Sam3ClipError, throwIfAborted } from '../errors.js';
import type { Backend, DeviceBackend, FloatTensor, HostBackend, ImageFeatures } from '../backends/backend.js';
import { mapLimited } from '../map-limited.js';
import { POSTPROCESS_CONCURRENCY } from '../mask-budget.js';
import { subtractMask, unionMask, type Mask } from '../mask.js';
import { hasInteractivePath, hasTextPath, promptPaths, textPathSpec, type TrackerManifest } from '../model/manifest-types.js';
import { morphology, postprocessMasks } from '../ops.js';
import { isInteractive, type ResolvedPrompt } from '../prompts.js';
import { selectCandidate } from '../selection.js';
import { cachedPromptRows } from './prompt-rows.js';
import { segmentInteractive, type InteractiveSpec } from './interactive.js';
import { textEmbeddings } from './text-embeddings.js';
import {
  deviceBackendFor,
  deviceInputs,
  unsupportedPrompt,
  type InteractivePromptCall,
  type ModelFamily,
  type PromptCall,
  type PromptOutcome,
  type PromptRoute,
} from './family.js';

/** The threshold on predicted IoU when the caller gives none (the seed's slider default). */
const DEFAULT_THRESHOLD = 0.5;

/** One prompt's selected, post-processed and smoothed mask. */
interface PromptMask {
  iou: number[];
  choice: { index: number; passed: boolean };
  mask: Mask;
}

function outcome(p: PromptMask): PromptOutcome {
  return {
    instances: p.choice.passed ? [{ mask: p.mask, score: p.iou[p.choice.index]! }] : [],
    mask: p.mask,
    score: p.iou[p.choice.index]!,
    passedThreshold: p.choice.passed,
    candidates: p.iou.map((v) => ({ iou: v })),
    candidateIndex: p.choice.index,
  };
}

export class TrackerClipFamily implements ModelFamily {
  constructor(private readonly manifest: TrackerManifest) {}

  routePrompt(p: ResolvedPrompt, field: string): PromptRoute {
    const offers = promptPaths(this.manifest);
    if (p.text !== undefined && !hasTextPath(this.manifest)) throw unsupportedPrompt(field, 'text', offers, 'Give points or a box');
    if (p.boxes) throw unsupportedPrompt(field, 'several boxes (box exemplars are sam3-concept\'s)', offers, 'Give one box per prompt');
    if (!isInteractive(p)) return 'text';
    if (!hasInteractivePath(this.manifest))
      throw unsupportedPrompt(field, 'points and boxes', offers, 'Export the package again to add the prompt encoder (docs/model-package.md)');
    if (p.boxLabel === 0 && p.points.length === 0)
      throw new Sam3ClipError('E_INVALID_PROMPT', `${field}.labels: a negative box is a sam3-concept exemplar; the tracker decoder takes a box as the object's bounds`, {
        field: `${field}.labels`,
      });
    return 'interactive';
  }

  private get interactiveSpec(): InteractiveSpec {
    const m = this.manifest;
    return {
      imageInputs: ['image_embeddings', ...(m.dims.highResFeatures ? ['high_res_feats_0', 'high_res_feats_1'] : [])],
      tokenWidth: m.dims.promptEmbedding,
      candidates: m.mask.candidates,
      maskSize: m.mask.size,
      inputSize: m.image.size,
      resize: m.image.resize,
    };
  }

  /**
   * Points and boxes, with the text's prompt tokens before the point tokens where the prompt has text
   * (the decoder attends to both together).
   */
  async segmentInteractive(backend: Backend, call: InteractivePromptCall): Promise<PromptOutcome[]> {
    const { prompts, tokenizer, t } = call;
    const withText = prompts.map((p, i) => (p.text === undefined ? -1 : i)).filter((i) => i >= 0);
    const textTokens: (Float32Array | undefined)[] = prompts.map(() => undefined);
    if (withText.length > 0) {
      if (!tokenizer) throw new Sam3ClipError('E_INVALID_PROMPT', 'This package has no text path', { field: 'prompt' });
      // The device pipeline keeps text tokens on the GPU inside its own chain; mixing them with clicks is a host path.
      if (backend.kind === 'device')
        throw new Sam3ClipError('E_BACKEND_UNAVAILABLE', `Text with points or a box runs on the CPU backends; on ${backend.name}, send the text and the clicks as separate prompts`, {
          field: 'prompt',
        });
      const rows = await this.promptEmbeddings(
        { ...call, all: withText.map((i) => prompts[i]!.text!), positiveCount: withText.length, tokenizer, maskBudgetMiB: 0 },
        backend,
      );
      const size = rows.data.length / withText.length;
      withText.forEach((i, b) => (textTokens[i] = rows.data.subarray(b * size, (b + 1) * size)));
    }
    const requests = prompts.map((prompt, i) => ({ prompt, ...(textTokens[i] ? { textTokens: textTokens[i] } : {}) }));
    return segmentInteractive(
      backend,
      this.interactiveSpec,
      requests,
      { embedding: call.embedding, features: call.features, opts: call.opts, ...(call.negative ? { negative: call.negative } : {}), t },
      call.allCandidates,
    );
  }

  /** prompt_embeds for each prompt, encoding the ones not in the prompt cache as one batch. */
  private async promptEmbeddings(call: PromptCall, backend: HostBackend): Promise<FloatTensor> {
    const { all: prompts, tokenizer, t } = call;
    const { promptTokens: N, tokenizer: spec } = textPathSpec(this.manifest);
    const P = this.manifest.dims.promptEmbedding;
    t.tokenize = 0;
    t.promptEncoder = 0;
    const data = await cachedPromptRows(call, N * P, async (missing) => {
      let start = performance.now();
      const tokens = await tokenizer.encodeBatch(missing.map((i) => prompts[i]!));
      t.tokenize = performance.now() - start;
      start = performance.now();
      const sessions = (t.sessions ??= {});
      const textEmbeds = await textEmbeddings(backend, tokens, spec, sessions);
      const projected = await backend.run('text_projection', { text_embeds: { type: 'float32', ...textEmbeds } }, sessions);
      const embeds = projected.prompt_embeds!;
      t.promptEncoder = performance.now() - start;
      if (embeds.data.length !== missing.length * N * P)
        throw new Sam3ClipError('E_MODEL_SHAPE', `text_projection returned ${embeds.dims.join('×')}, expected ${missing.length}×${N}×${P}`, {
          field: 'prompt_embeds',
        });
      return embeds.data;
    });
    return { dims: [prompts.length, N, P], data };
  }

  /**
   * Host path: cached prompt embeddings, the decoder, then selection and post-processing here.
   * Returns the positive prompts' masks with the passing negatives already removed.
   */
  async segmentOnHost(backend: HostBackend, call: PromptCall): Promise<PromptOutcome[]> {
    const { all, positiveCount, embedding, opts, t } = call;
    const features = call.features as ImageFeatures;
    const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
    const promptEmbeds = await this.promptEmbeddings(call, backend);
    throwIfAborted(opts.signal);
    let mark = performance.now();
    const feeds: Parameters<HostBackend['run']>[1] = { prompt_embeds: { type: 'float32', ...promptEmbeds } };
    for (const name of this.interactiveSpec.imageInputs) feeds[name] = { type: 'float32', ...features[name]! };
    const out = await backend.run('mask_decoder', feeds, (t.sessions ??= {}));
    const decoded = { masks: out.masks!, iouScores: out.iou_scores! };
    t.decoder = performance.now() - mark;
    throwIfAborted(opts.signal);
    mark = performance.now();

    const K = this.manifest.mask.candidates;
    const m = this.manifest.mask.size;
    const expected = [all.length, K, m, m];
    if (decoded.masks.data.length !== all.length * K * m * m || decoded.iouScores.data.length !== all.length * K)
      throw new Sam3ClipError('E_MODEL_SHAPE', `mask_decoder returned masks ${decoded.masks.dims.join('×')}, expected ${expected.join('×')}`, {
        field: 'masks',
      });

    const geometry = {
      numMasks: 1,
      lowresSize: m,
      inputSize: this.manifest.image.size,
      resizedHw: embedding.resizedHw,
      originalHw: [embedding.height, embedding.width] as [number, number],
    };
    const k = opts.smoothness;
    // One mask at a time, so a call holds its results plus two working masks, never every
    // prompt's intermediates at once; negatives first, folded into one mask as they come.
    const finish = async (b: number): Promise<PromptMask> => {
      const iou = Array.from(decoded.iouScores.data.subarray(b * K, (b + 1) * K));
      const choice = selectCandidate(iou, threshold);
      const offset = (b * K + choice.index) * m * m;
      const [mask] = await postprocessMasks(decoded.masks.data.subarray(offset, offset + m * m), geometry);
      const smoothed = k > 1 ? await morphology(mask!, { op: 'close', k }) : mask!;
      return { iou, choice, mask: smoothed };
    };
    let negative: Mask | undefined;
    const batch = all.map((_, b) => b);
    await mapLimited(batch.slice(positiveCount), POSTPROCESS_CONCURRENCY, async (b) => {
      const n = await finish(b);
      if (!n.choice.passed) return;
      if (negative) unionMask(negative, n.mask);
      else negative = n.mask;
    });
    const masks = await mapLimited(batch.slice(0, positiveCount), POSTPROCESS_CONCURRENCY, async (b) => {
      const p = await finish(b);
      if (negative) subtractMask(p.mask, negative);
      return outcome(p);
    });
    t.postprocess = performance.now() - mark;
    return masks;
  }

  /**
   * Device path: the text tower, projection, decoder, selection, post-processing and smoothing
   * run as one chain on the GPU. Prompt embeddings are not cached here: they never leave the device.
   */
  async segmentOnDevice(backend: DeviceBackend, call: PromptCall): Promise<PromptOutcome[]> {
    const { all, positiveCount, embedding, opts, t } = call;
    const { features, tokens } = await deviceInputs(call);
    const mark = performance.now();
    const sessions = (t.sessions ??= {});
    const out = await deviceBackendFor(backend, 'tracker').segmentOnDevice(
      features,
      tokens,
      {
        threshold: opts.threshold ?? DEFAULT_THRESHOLD,
        smoothness: opts.smoothness,
        resizedHw: embedding.resizedHw,
        originalHw: [embedding.height, embedding.width],
      },
      sessions,
    );
    const elapsed = performance.now() - mark;
    t.promptEncoder = (sessions.text_encoder ?? 0) + (sessions.text_projection ?? 0);
    t.decoder = sessions.mask_decoder ?? 0;
    t.postprocess = Math.max(0, elapsed - t.promptEncoder - t.decoder);
    const K = this.manifest.mask.candidates;
    const masks: PromptMask[] = all.map((_, b) => ({
      iou: Array.from(out.iou.subarray(b * K, (b + 1) * K)),
      choice: { index: out.index[b]!, passed: out.passed[b] === 1 },
      mask: { width: embedding.width, height: embedding.height, data: out.masks[b]! },
    }));
    const negatives = masks.slice(positiveCount).filter((n) => n.choice.passed);
    const positives = masks.slice(0, positiveCount);
    for (const p of positives) for (const n of negatives) subtractMask(p.mask, n.mask);
    return positives.map(outcome);
  }
}
