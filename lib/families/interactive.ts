/**
 * The interactive path (SAM's clicks and boxes) shared by every family that has it: points, labels
 * and a box → prompt_encoder → sparse tokens (after any text tokens) → the SAM mask decoder → 3
 * candidates + predicted IoU → SAM's selection, the highest predicted IoU → post-processing as
 * transformers' Sam3TrackerProcessor.post_process_masks → the k×k close.
 */
import { Sam3ClipError, throwIfAborted } from '../errors.js';
import type { Backend, FloatTensor, HostTensor, ImageFeatures, SessionTimes } from '../backends/backend.js';
import { isDeviceFeatures, type EmbeddingFeatures } from '../image-embedding.js';
import type { ImageEmbedding } from '../image-embedding.js';
import { mapLimited } from '../map-limited.js';
import { POSTPROCESS_CONCURRENCY } from '../mask-budget.js';
import { subtractMask, type Mask } from '../mask.js';
import type { ResizeMode } from '../model/manifest-types.js';
import { morphology, postprocessMasks } from '../ops.js';
import type { ResolvedSegmentOptions, StageTimings } from '../options.js';
import type { ResolvedPrompt } from '../prompts.js';
import type { PromptOutcome } from './family.js';

/** SAM's prompt-encoder labels: a box's corners, and the "not a point" token that ends every prompt. */
const TOP_LEFT = 2;
const BOTTOM_RIGHT = 3;
const PADDING = -1;

/** What the interactive graphs of a package look like. */
export interface InteractiveSpec {
  /** The mask decoder's image inputs, taken from the embedding's features by name. */
  imageInputs: readonly string[];
  /** P: the width of a prompt token. */
  tokenWidth: number;
  /** K candidates of m×m logits. */
  candidates: number;
  maskSize: number;
  inputSize: number;
  resize: ResizeMode;
}

/** One interactive prompt: its clicks, and the text tokens (n × P) that go before them, if any. */
export interface InteractiveRequest {
  prompt: ResolvedPrompt;
  textTokens?: Float32Array;
}

export interface InteractiveCall {
  embedding: ImageEmbedding;
  features: EmbeddingFeatures;
  opts: ResolvedSegmentOptions;
  /** The union of the negative prompts' masks, removed from each result's mask. */
  negative?: Mask;
  t: StageTimings;
}

/**
 * The prompt encoder's tokens for one prompt, as transformers' Sam3TrackerPromptEncoder builds them:
 * the points, a box's two corners, then one padding token. Coordinates go from original pixels to the
 * encoder's input frame (× resized / original per axis: x·S/W, y·S/H under a stretch), as
 * Sam3TrackerProcessor rescales them; the graph adds the half-pixel shift itself.
 */
export function promptTokens(p: ResolvedPrompt, embedding: ImageEmbedding): { points: number[]; labels: number[] } {
  const [rh, rw] = embedding.resizedHw;
  // In float32, as the processor computes it: the scale rounded first, then the product.
  const f = Math.fround;
  const sx = f(rw / embedding.width);
  const sy = f(rh / embedding.height);
  const points: number[] = [];
  const labels: number[] = [];
  p.points.forEach(([x, y], i) => {
    points.push(f(f(x) * sx), f(f(y) * sy));
    labels.push(p.labels[i]!);
  });
  if (p.box) {
    const [x0, y0, x1, y1] = p.box;
    points.push(f(f(x0) * sx), f(f(y0) * sy), f(f(x1) * sx), f(f(y1) * sy));
    labels.push(TOP_LEFT, BOTTOM_RIGHT);
  }
  points.push(0, 0);
  labels.push(PADDING);
  return { points, labels };
}

/** Indices of `sizes` grouped by equal value, so each group runs as one batch of one shape. */
function groupBySize(sizes: number[]): number[][] {
  const groups = new Map<number, number[]>();
  sizes.forEach((n, i) => {
    const g = groups.get(n);
    if (g) g.push(i);
    else groups.set(n, [i]);
  });
  return [...groups.values()];
}

function need(out: Record<string, FloatTensor>, graph: string, name: string, size: number): Float32Array {
  const v = out[name];
  if (!v || v.data.length !== size)
    throw new Sam3ClipError('E_MODEL_SHAPE', `${graph} returned ${name} ${v?.dims.join('×') ?? '(none)'}, expected ${size} values`, { field: name });
  return v.data;
}

/** One run of an interactive graph, the image's features bound to the mask decoder's image inputs. */
type GraphRunner = (graph: 'prompt_encoder' | 'mask_decoder', feeds: Record<string, HostTensor>, times: SessionTimes) => Promise<Record<string, FloatTensor>>;

/**
 * Host backends get the features as tensors beside the feeds; device backends bind their own
 * device copy (TensorRT: only the prompt tokens, the logits and the IoUs cross to the host).
 */
function graphRunner(backend: Backend, features: EmbeddingFeatures, imageInputs: readonly string[]): GraphRunner {
  if (backend.kind === 'device') {
    if (!isDeviceFeatures(features)) throw new Sam3ClipError('E_INVALID_OPTION', 'This ImageEmbedding was made by another backend', { field: 'image' });
    const runOnFeatures = backend.runOnFeatures?.bind(backend);
    if (!runOnFeatures) throw new Sam3ClipError('E_BACKEND_UNAVAILABLE', `The ${backend.name} backend has no engines for points and boxes: build them again (npm run build-engines)`);
    return (graph, feeds, times) => runOnFeatures(features, graph, feeds, times);
  }
  if (isDeviceFeatures(features)) throw new Sam3ClipError('E_INVALID_OPTION', 'This ImageEmbedding was made by another backend', { field: 'image' });
  const host = features as ImageFeatures;
  const imageFeeds: Record<string, HostTensor> = {};
  for (const name of imageInputs) {
    const f = host[name];
    if (!f) throw new Sam3ClipError('E_MODEL_SHAPE', `image_encoder gave no ${name}, which the mask decoder needs`, { field: name });
    imageFeeds[name] = { type: 'float32', ...f };
  }
  return (graph, feeds, times) => backend.run(graph, graph === 'mask_decoder' ? { ...imageFeeds, ...feeds } : feeds, times);
}

/** Each request's full prompt tokens: its text tokens (if any), then the prompt encoder's. */
async function encodePrompts(run: GraphRunner, requests: InteractiveRequest[], call: InteractiveCall, P: number): Promise<Float32Array[]> {
  const tokens = requests.map((r) => promptTokens(r.prompt, call.embedding));
  const sparse: Float32Array[] = new Array(requests.length);
  const sessions = (call.t.sessions ??= {});
  for (const group of groupBySize(tokens.map((tk) => tk.labels.length))) {
    const n = tokens[group[0]!]!.labels.length;
    const B = group.length;
    const points = new Float32Array(B * n * 2);
    const labels = new BigInt64Array(B * n);
    group.forEach((r, b) => {
      points.set(tokens[r]!.points, b * n * 2);
      labels.set(tokens[r]!.labels.map(BigInt), b * n);
    });
    const out = await run(
      'prompt_encoder',
      { input_points: { type: 'float32', dims: [B, n, 2], data: points }, input_labels: { type: 'int64', dims: [B, n], data: labels } },
      sessions,
    );
    const data = need(out, 'prompt_encoder', 'sparse_embeddings', B * n * P);
    group.forEach((r, b) => {
      const text = requests[r]!.textTokens;
      const own = data.subarray(b * n * P, (b + 1) * n * P);
      if (!text) sparse[r] = own.slice();
      else {
        const all = new Float32Array(text.length + own.length);
        all.set(text);
        all.set(own, text.length);
        sparse[r] = all;
      }
    });
  }
  return sparse;
}

/** Runs the interactive path for `requests`; one outcome per request, in order. */
export async function segmentInteractive(
  backend: Backend,
  spec: InteractiveSpec,
  requests: InteractiveRequest[],
  call: InteractiveCall,
  allCandidates: boolean,
): Promise<PromptOutcome[]> {
  const { embedding, features, opts, t } = call;
  const { tokenWidth: P, candidates: K, maskSize: m } = spec;
  const run = graphRunner(backend, features, spec.imageInputs);
  let mark = performance.now();
  const prompts = await encodePrompts(run, requests, call, P);
  t.promptEncoder = (t.promptEncoder ?? 0) + (performance.now() - mark);
  throwIfAborted(opts.signal);

  mark = performance.now();
  const logits: Float32Array[] = new Array(requests.length);
  const ious: number[][] = new Array(requests.length);
  for (const group of groupBySize(prompts.map((p) => p.length / P))) {
    const N = prompts[group[0]!]!.length / P;
    const B = group.length;
    const embeds = new Float32Array(B * N * P);
    group.forEach((r, b) => embeds.set(prompts[r]!, b * N * P));
    const out = await run('mask_decoder', { prompt_embeds: { type: 'float32', dims: [B, N, P], data: embeds } }, (t.sessions ??= {}));
    const masks = need(out, 'mask_decoder', 'masks', B * K * m * m);
    const iou = need(out, 'mask_decoder', 'iou_scores', B * K);
    group.forEach((r, b) => {
      logits[r] = masks.slice(b * K * m * m, (b + 1) * K * m * m);
      ious[r] = Array.from(iou.subarray(b * K, (b + 1) * K));
    });
  }
  t.decoder = (t.decoder ?? 0) + (performance.now() - mark);
  throwIfAborted(opts.signal);

  mark = performance.now();
  // transformers' post_process_masks resizes the logits straight to the original size; that equals the
  // tracker's two-step undo (to S, crop, to the original) only under a stretch, whose crop is the whole input.
  const straight = spec.resize === 'stretch';
  const geometry = {
    numMasks: 1,
    lowresSize: m,
    inputSize: straight ? m : spec.inputSize,
    resizedHw: straight ? ([m, m] as [number, number]) : embedding.resizedHw,
    originalHw: [embedding.height, embedding.width] as [number, number],
  };
  const k = opts.smoothness;
  const finish = async (plane: Float32Array): Promise<Mask> => {
    const [mask] = await postprocessMasks(plane, geometry);
    return k > 1 ? morphology(mask!, { op: 'close', k }) : mask!;
  };
  const outcomes = await mapLimited(requests, POSTPROCESS_CONCURRENCY, async (_, r): Promise<PromptOutcome> => {
    const iou = ious[r]!;
    // SAM's rule for clicks: the candidate with the highest predicted IoU (the first on a tie).
    const index = iou.reduce((best, v, i) => (v > iou[best]! ? i : best), 0);
    const plane = (c: number) => logits[r]!.subarray(c * m * m, (c + 1) * m * m);
    const candidateMasks = allCandidates ? await Promise.all(iou.map((_, c) => finish(plane(c)))) : undefined;
    const selected = candidateMasks ? { ...candidateMasks[index]!, data: candidateMasks[index]!.data.slice() } : await finish(plane(index));
    if (call.negative) subtractMask(selected, call.negative);
    return {
      instances: [{ mask: selected, score: iou[index]! }],
      mask: selected,
      score: iou[index]!,
      passedThreshold: true,
      candidates: iou.map((v, c) => ({ iou: v, ...(candidateMasks ? { mask: candidateMasks[c]! } : {}) })),
      candidateIndex: index,
    };
  });
  t.postprocess = (t.postprocess ?? 0) + (performance.now() - mark);
  return outcomes;
}
