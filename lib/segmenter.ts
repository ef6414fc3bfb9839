import { EventEmitter } from 'node:events';
import { Sam3ClipError, throwIfAborted } from './errors.js';
import type { Backend, DeviceBackend, FloatTensor, HostBackend, ImageFeatures, LoadProgress } from './backends/backend.js';
import { selectBackend, type BackendSelection } from './backends/select-backend.js';
import { prepareImage, probeImage } from './image/decode.js';
import { readImageSource, type ImageInput, type ImageSource } from './image/image-input.js';
import { ImageEmbedding, isDeviceFeatures, type EmbeddingFeatures } from './image-embedding.js';
import { LruCache } from './lru.js';
import { mapLimited } from './map-limited.js';
import { checkMaskBudget, POSTPROCESS_CONCURRENCY } from './mask-budget.js';
import { SharedWork } from './shared-work.js';
import type { BBox, Mask } from './mask.js';
import { subtractMask, unionMask } from './mask.js';
import { loadModelPackage, type ModelPackage } from './model/manifest.js';
import { GRAPH_NAMES, type GraphName } from './model/manifest-types.js';
import { maskStats, morphology, normalizeToNchw, postprocessMasks } from './ops.js';
import {
  EMBED_OPTIONS,
  rejectUnknownOptions,
  resolvePrompts,
  resolveSegmenterOptions,
  resolveSegmentOptions,
  type ResolvedSegmenterOptions,
  type ResolvedSegmentOptions,
  type SegmenterOptions,
  type SegmentOptions,
  type StageTimings,
} from './options.js';
import { selectCandidate } from './selection.js';
import { normalizePrompt, PromptTokenizer } from './tokenizer.js';

export interface SegmentResult {
  prompt: string;
  /** The selected mask at the original image size, smoothed and with negative prompts removed. */
  mask: Mask;
  /** Predicted IoU of the selected candidate. */
  score: number;
  /** Whether any candidate's IoU exceeded the threshold. */
  passedThreshold: boolean;
  /** Which candidate was selected. */
  candidateIndex: number;
  candidates: { iou: number }[];
  bbox: BBox;
  area: number;
}

export interface SegmenterStats {
  backend: 'cpu' | 'tensorrt';
  runs: Record<GraphName, { runs: number; ms: number }>;
  cache: { images: number; prompts: number };
}

type Stage = LoadProgress['stage'];


/** One segment() call as the host and device paths see it. */
interface PromptCall {
  /** The positive prompts, then the negative ones: one batch. */
  all: string[];
  positiveCount: number;
  embedding: ImageEmbedding;
  opts: ResolvedSegmentOptions;
  tokenizer: PromptTokenizer;
  t: StageTimings;
}

/** One prompt's selected, post-processed and smoothed mask. */
interface PromptMask {
  iou: number[];
  choice: { index: number; passed: boolean };
  mask: Mask;
}
const LOAD_STAGES: Stage[] = ['manifest', 'tokenizer', ...GRAPH_NAMES];

/**
 * Segments objects named by text prompts. Loads in the background: `ready` settles when every
 * model is loaded, and 'progress' events report each stage. Calls made before then wait.
 */
export class Segmenter extends EventEmitter<{ progress: [LoadProgress] }> {
  readonly options: ResolvedSegmenterOptions;
  /** Settles when the models are loaded; rejects with the load error. */
  readonly ready: Promise<this>;
  private pkg?: ModelPackage;
  private tokenizer?: PromptTokenizer;
  private backend?: Backend;
  private selection?: BackendSelection;
  private disposedFlag = false;
  private readonly images: LruCache<string, Promise<ImageEmbedding>>;
  /** Encodes in flight, by their promise, with who still waits for each. */
  private readonly encoding = new Map<Promise<ImageEmbedding>, SharedWork<ImageEmbedding>>();
  private readonly prompts: LruCache<string, Float32Array>;

  /** Starts loading at once; prefer `await createSegmenter(options)` unless you want progress events. */
  constructor(options: SegmenterOptions = {}) {
    super();
    this.options = resolveSegmenterOptions(options);
    // An embedding only the cache held is freed as it falls out; one embed() handed out is the caller's to dispose.
    this.images = new LruCache(this.options.cache.images, (_key, evicted) =>
      evicted.then(
        (embedding) => {
          if (!embedding.heldByCaller) embedding.dispose();
        },
        () => {},
      ),
    );
    this.prompts = new LruCache(this.options.cache.prompts);
    this.ready = this.load();
    // An unobserved load failure must not crash the process; callers see it on ready or on first use.
    this.ready.catch(() => {});
  }

  private progress(stage: Stage): void {
    const loaded = LOAD_STAGES.indexOf(stage) + 1;
    this.emit('progress', { stage, loaded, total: LOAD_STAGES.length });
  }

  private async load(): Promise<this> {
    this.pkg = await loadModelPackage(this.options.models, { verifyHashes: this.options.verifyHashes });
    this.progress('manifest');
    this.tokenizer = await PromptTokenizer.fromFile(this.pkg.paths.tokenizer, this.pkg.manifest.tokenizer);
    this.progress('tokenizer');
    this.selection = await selectBackend(this.options, this.pkg);
    const backend = this.selection.create();
    this.backend = backend;
    try {
      await backend.load((graph) => this.progress(graph));
    } catch (error) {
      await backend.dispose();
      throw error;
    }
    if (this.disposedFlag) await backend.dispose();
    this.emit('progress', { stage: 'ready', loaded: LOAD_STAGES.length, total: LOAD_STAGES.length });
    return this;
  }

  /** Which backend runs, and why 'auto' chose it (and, on TensorRT, the engine folder). */
  get backendInfo(): { name: 'cpu' | 'tensorrt'; reason: string; engines?: string } | undefined {
    return (
      this.selection && {
        name: this.selection.name,
        reason: this.selection.reason,
        ...(this.selection.engines ? { engines: this.selection.engines } : {}),
      }
    );
  }

  get manifest() {
    return this.pkg?.manifest;
  }

  private async loaded(): Promise<{ pkg: ModelPackage; tokenizer: PromptTokenizer; backend: Backend }> {
    this.checkDisposed();
    await this.ready;
    this.checkDisposed();
    return { pkg: this.pkg!, tokenizer: this.tokenizer!, backend: this.backend! };
  }

  private checkDisposed(): void {
    if (this.disposedFlag) throw new Sam3ClipError('E_DISPOSED', 'This Segmenter has been disposed');
  }

  /**
   * Encodes an image (or returns the cached embedding of identical content). The embedding is
   * yours: it stays usable until you dispose it, even after the cache lets go of it.
   */
  async embed(image: ImageInput, options: { signal?: AbortSignal; timings?: StageTimings } = {}): Promise<ImageEmbedding> {
    if (options === null || typeof options !== 'object')
      throw new Sam3ClipError('E_INVALID_OPTION', 'Option options must be an object', { field: 'options' });
    rejectUnknownOptions(options, EMBED_OPTIONS);
    await this.loaded();
    const embedding = await this.embedShared(await readImageSource(image), options);
    embedding.heldByCaller = true;
    return embedding;
  }

  /**
   * The cached embedding of these image bytes, or a new one. Concurrent calls for the same bytes
   * share one encode, which runs while at least one of them still wants it: each caller's signal
   * rejects that caller alone, and the encode stops only when every caller has gone.
   */
  private async embedShared(
    source: ImageSource,
    options: { signal?: AbortSignal; timings?: StageTimings },
    probed?: { width: number; height: number },
  ): Promise<ImageEmbedding> {
    const { pkg, backend } = await this.loaded();
    const signal = options.signal;
    throwIfAborted(signal);
    const t = options.timings ?? {};
    let mark = performance.now();
    const lap = () => {
      const now = performance.now();
      const ms = now - mark;
      mark = now;
      return ms;
    };
    const cached = this.images.get(source.key);
    if (cached) {
      const embedding = await this.joinEncode(cached, signal);
      if (!embedding.disposed) {
        t.cachedImage = true;
        t.decode = lap();
        return embedding;
      }
    }
    t.cachedImage = false;
    // Drops this encode from the cache: when it fails, when its embedding is disposed, and when every
    // caller has left (later callers then start afresh instead of joining work being given up).
    const forget = () => {
      if (this.images.get(source.key) === work.promise) this.images.delete(source.key);
    };
    const work: SharedWork<ImageEmbedding> = new SharedWork(async (own) => {
      const { size, resize, mean, std } = pkg.manifest.image;
      const prepared = await prepareImage(source, { size, mode: resize, maxPixels: this.options.maxPixels }, probed);
      t.decode = lap();
      throwIfAborted(own);
      const [h, w] = prepared.resizedHw;
      let features: EmbeddingFeatures;
      if (backend.kind === 'device') {
        // Normalized on the device, inside the encoder call.
        t.preprocess = 0;
        features = await backend.encodeImageRgb(prepared.rgb, w, h, (t.sessions ??= {}));
      } else {
        const pixels = await normalizeToNchw(prepared.rgb, { width: w, height: h, size, mean, std });
        t.preprocess = lap();
        throwIfAborted(own);
        features = await backend.encodeImage(pixels, (t.sessions ??= {}));
      }
      t.imageEncoder = lap();
      this.checkDisposed();
      const embedding = new ImageEmbedding(this, source.key, prepared, features, forget);
      if (own.aborted) {
        // Every caller left while the encoder ran: nobody will use these features.
        embedding.dispose();
        throwIfAborted(own);
      }
      return embedding;
    }, forget);
    const pending = work.promise;
    this.encoding.set(pending, work);
    this.images.set(source.key, pending);
    pending.catch(forget);
    void pending.finally(() => this.encoding.delete(pending)).catch(() => {});
    return work.join(signal);
  }

  /** Waits for a cached or in-flight encode as one of its callers; see embedShared. */
  private joinEncode(pending: Promise<ImageEmbedding>, signal: AbortSignal | undefined): Promise<ImageEmbedding> {
    return this.encoding.get(pending)?.join(signal) ?? pending;
  }

  /** prompt_embeds for each prompt, encoding the ones not in the prompt cache as one batch. */
  private async promptEmbeddings(
    prompts: string[],
    tokenizer: PromptTokenizer,
    backend: HostBackend,
    t: StageTimings,
  ): Promise<FloatTensor> {
    const keys = prompts.map((p) => normalizePrompt(p, tokenizer.settings.lowercase));
    const rows = keys.map((k) => this.prompts.get(k));
    const missing = [...new Set(keys.filter((_, i) => rows[i] === undefined))];
    t.cachedPrompts = prompts.length - keys.filter((k) => missing.includes(k)).length;
    const { promptTokens: N, promptEmbedding: P } = this.pkg!.manifest.dims;
    t.tokenize = 0;
    t.promptEncoder = 0;
    if (missing.length > 0) {
      let start = performance.now();
      const tokens = await tokenizer.encodeBatch(missing);
      t.tokenize = performance.now() - start;
      start = performance.now();
      const embeds = await backend.encodePrompts(tokens, (t.sessions ??= {}));
      t.promptEncoder = performance.now() - start;
      const rowSize = N * P;
      if (embeds.data.length !== missing.length * rowSize)
        throw new Sam3ClipError('E_MODEL_SHAPE', `text_projection returned ${embeds.dims.join('×')}, expected ${missing.length}×${N}×${P}`, {
          field: 'prompt_embeds',
        });
      missing.forEach((key, b) => {
        const row = embeds.data.slice(b * rowSize, (b + 1) * rowSize);
        this.prompts.set(key, row);
        keys.forEach((k, i) => {
          if (k === key) rows[i] = row;
        });
      });
    }
    const data = new Float32Array(prompts.length * N * P);
    rows.forEach((row, i) => data.set(row!, i * N * P));
    return { dims: [prompts.length, N, P], data };
  }

  /**
   * Segments every prompt in one image. All prompts (and negative prompts) go through the text
   * tower, projection and decoder as one batch; results come back in prompt order.
   */
  async segment(
    image: ImageInput | ImageEmbedding,
    prompt: string | readonly string[],
    options: SegmentOptions = {},
  ): Promise<SegmentResult[]> {
    const positives = resolvePrompts(prompt);
    const opts = resolveSegmentOptions(options);
    const { pkg, tokenizer, backend } = await this.loaded();
    const signal = opts.signal;
    throwIfAborted(signal);
    const t: StageTimings = opts.timings ?? {};
    const start = performance.now();

    const budget = (width: number, height: number) =>
      checkMaskBudget(width, height, positives.length, opts.negative.length, backend.kind, this.options.maskBudgetMiB);
    let embedding: ImageEmbedding;
    if (image instanceof ImageEmbedding) {
      if (image.owner !== this)
        throw new Sam3ClipError('E_INVALID_OPTION', 'This ImageEmbedding was made by another Segmenter', { field: 'image' });
      budget(image.width, image.height);
      embedding = image;
      t.cachedImage = true;
    } else {
      // A new image's budget is checked from its header, before any pixel is decoded (the header is
      // then not read again); bytes already cached or being encoded give their size from the embedding.
      const source = await readImageSource(image);
      const probed = this.images.get(source.key) ? undefined : await probeImage(source, this.options.maxPixels);
      if (probed) budget(probed.width, probed.height);
      embedding = await this.embedShared(source, { ...(signal ? { signal } : {}), timings: t }, probed);
      if (!probed) budget(embedding.width, embedding.height);
    }
    // Held here so a dispose() racing this call cannot pull the tensors away mid-way.
    const features: EmbeddingFeatures = embedding.getFeatures();
    throwIfAborted(signal);

    const call: PromptCall = { all: [...positives, ...opts.negative], positiveCount: positives.length, embedding, opts, tokenizer, t };
    const masks =
      backend.kind === 'device'
        ? await this.segmentOnDevice(backend, features, call)
        : await this.segmentOnHost(backend, features as ImageFeatures, call);
    throwIfAborted(signal);
    const mark = performance.now();

    // Without an image cache nothing else will use this embedding: free it now (on the GPU
    // backend that returns its device memory at once instead of at the next eviction).
    if (!(image instanceof ImageEmbedding) && this.options.cache.images === 0) embedding.dispose();

    const results = await mapLimited(positives, POSTPROCESS_CONCURRENCY, async (p, i): Promise<SegmentResult> => {
      const { iou, choice, mask } = masks[i]!;
      const { area, bbox } = await maskStats(mask);
      return {
        prompt: p,
        mask,
        score: iou[choice.index]!,
        passedThreshold: choice.passed,
        candidateIndex: choice.index,
        candidates: iou.map((v) => ({ iou: v })),
        bbox,
        area,
      };
    });
    const end = performance.now();
    t.postprocess = (t.postprocess ?? 0) + (end - mark);
    t.total = end - start;
    return results;
  }

  /**
   * Host path: cached prompt embeddings, the decoder, then selection and post-processing here.
   * Returns the positive prompts' masks with the passing negatives already removed.
   */
  private async segmentOnHost(backend: HostBackend, features: ImageFeatures, call: PromptCall): Promise<PromptMask[]> {
    const { all, positiveCount, embedding, opts, tokenizer, t } = call;
    const pkg = this.pkg!;
    const promptEmbeds = await this.promptEmbeddings(all, tokenizer, backend, t);
    throwIfAborted(opts.signal);
    let mark = performance.now();
    const decoded = await backend.decode(features, promptEmbeds, (t.sessions ??= {}));
    t.decoder = performance.now() - mark;
    throwIfAborted(opts.signal);
    mark = performance.now();

    const K = pkg.manifest.mask.candidates;
    const m = pkg.manifest.mask.size;
    const expected = [all.length, K, m, m];
    if (decoded.masks.data.length !== all.length * K * m * m || decoded.iouScores.data.length !== all.length * K)
      throw new Sam3ClipError('E_MODEL_SHAPE', `mask_decoder returned masks ${decoded.masks.dims.join('×')}, expected ${expected.join('×')}`, {
        field: 'masks',
      });

    const geometry = {
      numMasks: 1,
      lowresSize: m,
      inputSize: pkg.manifest.image.size,
      resizedHw: embedding.resizedHw,
      originalHw: [embedding.height, embedding.width] as [number, number],
    };
    const k = opts.smoothness;
    // One mask at a time, so a call holds its results plus two working masks, never every
    // prompt's intermediates at once; negatives first, folded into one mask as they come.
    const finish = async (b: number): Promise<PromptMask> => {
      const iou = Array.from(decoded.iouScores.data.subarray(b * K, (b + 1) * K));
      const choice = selectCandidate(iou, opts.threshold);
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
      return p;
    });
    t.postprocess = performance.now() - mark;
    return masks;
  }

  /**
   * Device path: the text tower, projection, decoder, selection, post-processing and smoothing
   * run as one chain on the GPU. Prompt embeddings are not cached here: they never leave the device.
   */
  private async segmentOnDevice(backend: DeviceBackend, features: EmbeddingFeatures, call: PromptCall): Promise<PromptMask[]> {
    const { all, positiveCount, embedding, opts, tokenizer, t } = call;
    if (!isDeviceFeatures(features)) throw new Sam3ClipError('E_INVALID_OPTION', 'This ImageEmbedding was made by another backend', { field: 'image' });
    let mark = performance.now();
    const tokens = await tokenizer.encodeBatch(all);
    t.tokenize = performance.now() - mark;
    t.cachedPrompts = 0;
    mark = performance.now();
    const sessions = (t.sessions ??= {});
    const out = await backend.segmentOnDevice(
      features,
      tokens,
      {
        threshold: opts.threshold,
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
    const K = this.pkg!.manifest.mask.candidates;
    const masks = all.map((_, b) => ({
      iou: Array.from(out.iou.subarray(b * K, (b + 1) * K)),
      choice: { index: out.index[b]!, passed: out.passed[b] === 1 },
      mask: {
        width: embedding.width,
        height: embedding.height,
        data: out.masks[b]!,
      },
    }));
    const negatives = masks.slice(positiveCount).filter((n) => n.choice.passed);
    const positives = masks.slice(0, positiveCount);
    for (const p of positives) for (const n of negatives) subtractMask(p.mask, n.mask);
    return positives;
  }

  /** Run counts and cache sizes (a cached image shows no new image_encoder run). */
  stats(): SegmenterStats {
    return {
      backend: this.backend?.name ?? 'cpu',
      runs: this.backend?.stats() ?? (Object.fromEntries(GRAPH_NAMES.map((g) => [g, { runs: 0, ms: 0 }])) as SegmenterStats['runs']),
      cache: { images: this.images.size, prompts: this.prompts.size },
    };
  }

  /** Frees the sessions, worker threads, caches and cached embeddings. Later calls fail with E_DISPOSED. */
  async dispose(): Promise<void> {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    const embeddings = [...this.images.values()];
    this.images.clear();
    await Promise.all(embeddings.map((p) => p.then((e) => e.dispose(), () => {})));
    this.prompts.clear();
    await this.ready.catch(() => {});
    await this.backend?.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/** Creates a segmenter and waits until its models are loaded. */
export async function createSegmenter(options: SegmenterOptions = {}): Promise<Segmenter> {
  const segmenter = new Segmenter(options);
  try {
    return await segmenter.ready;
  } catch (error) {
    await segmenter.dispose();
    throw error;
  }
}
