import type { Backend, DeviceBackend, HostBackend } from '../backends/backend.js';
import { Sam3ClipError } from '../errors.js';
import type { DeviceFeatures } from '../backends/backend.js';
import { isDeviceFeatures, type EmbeddingFeatures, type ImageEmbedding } from '../image-embedding.js';
import type { LruCache } from '../lru.js';
import type { Mask } from '../mask.js';
import type { ResolvedSegmentOptions, StageTimings } from '../options.js';
import type { ResolvedPrompt } from '../prompts.js';
import type { PromptTokenizer, TokenBatch } from '../tokenizer.js';

/** [x0, y0, x1, y1] in original-image pixels. */
export type Box = [number, number, number, number];

/** A box exemplar of a text prompt (sam3-concept's detector_boxes): "like this" (1) or "not like this" (0). */
export interface BoxExemplar {
  box: Box;
  label: 0 | 1;
}

/** The text prompts of one segment() call as a model family sees them. */
export interface PromptCall {
  /** The positive prompts, then the negative ones: one batch. */
  all: string[];
  positiveCount: number;
  /** Per positive prompt, its box exemplars where it has any (families with box exemplars only). */
  exemplars?: (BoxExemplar[] | undefined)[];
  embedding: ImageEmbedding;
  /** The embedding's features, held for the length of the call. */
  features: EmbeddingFeatures;
  opts: ResolvedSegmentOptions;
  tokenizer: PromptTokenizer;
  /** The segmenter's prompt cache: whatever the family keeps per normalized prompt (rows of one graph output). */
  promptCache: LruCache<string, Float32Array>;
  /** The segmenter's mask budget, for families whose mask count is known only after the model ran. */
  maskBudgetMiB: number;
  t: StageTimings;
}

/** One found instance, post-processed at the original size, smoothed, negatives removed. */
export interface FamilyInstance {
  mask: Mask;
  score: number;
  /** The model's own box, when it predicts one (clipped to the image); otherwise the mask's bounds. */
  box?: Box;
}

/** A positive prompt's answer before the segmenter adds each mask's area and bounds. */
export interface PromptOutcome {
  /** Best first; empty when nothing passed the threshold. */
  instances: FamilyInstance[];
  /** The union of the instances; the tracker families give their selected mask even below the threshold. */
  mask: Mask;
  /** The best instance's score (the best candidate's, when none passed). */
  score: number;
  passedThreshold: boolean;
  /** The tracker decoder's candidates (each with its mask when asked for) and which one was selected. */
  candidates?: { iou: number; mask?: Mask }[];
  candidateIndex?: number;
  /** σ of the presence logit: how sure the model is that the concept is in the image at all. */
  presence?: number;
}

/** The interactive prompts (points, boxes, possibly with text) of one segment() call. */
export interface InteractivePromptCall {
  prompts: ResolvedPrompt[];
  embedding: ImageEmbedding;
  features: EmbeddingFeatures;
  opts: ResolvedSegmentOptions;
  /** Present where the package has the text path (text + points on the tracker families). */
  tokenizer?: PromptTokenizer;
  promptCache: LruCache<string, Float32Array>;
  /** The union of the negative prompts' masks. */
  negative?: Mask;
  /** Post-process every candidate, not only the selected one. */
  allCandidates: boolean;
  t: StageTimings;
}

/** Which of a family's paths answers a prompt. */
export type PromptRoute = 'text' | 'interactive';

/**
 * What one model family does inside segment(): how it encodes prompts, runs its graphs on the image
 * features and post-processes. The segmenter around it keeps the caches, validation, batching of
 * prompts into one call, and the shape of the results.
 */
export interface ModelFamily {
  /**
   * The path that answers this prompt on this package, or E_INVALID_PROMPT naming what the package
   * offers. `field` names the prompt in the error.
   */
  routePrompt(p: ResolvedPrompt, field: string): PromptRoute;
  /** Points and boxes (host backends): present where the family has an interactive path. */
  segmentInteractive?(backend: Backend, call: InteractivePromptCall): Promise<PromptOutcome[]>;
  /** Host backends (ONNX Runtime): tensors in memory, post-processing in the native core. */
  segmentOnHost(backend: HostBackend, call: PromptCall): Promise<PromptOutcome[]>;
  /**
   * Device backends (TensorRT): absent where the family has no device pipeline. selectBackend pairs
   * each family with its own device backend type (TrackerDeviceBackend, ConceptDeviceBackend); the
   * family refuses another one (deviceBackendFor).
   */
  segmentOnDevice?(backend: DeviceBackend, call: PromptCall): Promise<PromptOutcome[]>;
}

/** The device backend of one family's pipeline, or E_BACKEND_UNAVAILABLE when selectBackend paired another. */
export function deviceBackendFor<P extends DeviceBackend['pipelineKind']>(backend: DeviceBackend, kind: P): Extract<DeviceBackend, { pipelineKind: P }> {
  if (backend.pipelineKind !== kind)
    throw new Sam3ClipError('E_BACKEND_UNAVAILABLE', `The ${backend.name} backend loaded the ${backend.pipelineKind} pipeline, not the ${kind} one`);
  return backend as Extract<DeviceBackend, { pipelineKind: P }>;
}

/**
 * What every device path starts with: the embedding's features as device features (refusing ones
 * another backend made) and the whole batch tokenized (prompt features never leave the device, so
 * nothing is cached).
 */
export async function deviceInputs(call: PromptCall): Promise<{ features: DeviceFeatures; tokens: TokenBatch }> {
  const { features, tokenizer, t } = call;
  if (!isDeviceFeatures(features)) throw new Sam3ClipError('E_INVALID_OPTION', 'This ImageEmbedding was made by another backend', { field: 'image' });
  const mark = performance.now();
  const tokens = await tokenizer.encodeBatch(call.all);
  t.tokenize = performance.now() - mark;
  t.cachedPrompts = 0;
  return { features, tokens };
}

/** E_INVALID_PROMPT for a kind of prompt the package lacks, saying what it offers. */
export function unsupportedPrompt(field: string, what: string, offers: readonly string[], hint = ''): Sam3ClipError {
  return new Sam3ClipError(
    'E_INVALID_PROMPT',
    `${field}: this model package has no path for ${what}; it answers ${offers.length ? offers.join(', ') : 'nothing'}${hint ? `. ${hint}` : ''}`,
    { field },
  );
}
