import { EventEmitter } from 'node:events';
import { Sam3ClipError, throwIfAborted } from './errors.js';
import type { Backend, BackendName, LoadProgress } from './backends/backend.js';
import { selectBackend, type BackendSelection } from './backends/select-backend.js';
import { OpenVinoBackend, type OpenVinoGraphLoad } from './backends/openvino/openvino-backend.js';
import { prepareImage, probeImage } from './image/decode.js';
import { readImageSource, type ImageInput, type ImageSource } from './image/image-input.js';
import { ImageEmbedding, type EmbeddingFeatures } from './image-embedding.js';
import type { Box, BoxExemplar, InteractivePromptCall, ModelFamily, PromptCall, PromptOutcome } from './families/family.js';
import { familyFor } from './families/family-for.js';
import { LruCache } from './lru.js';
import { mapLimited } from './map-limited.js';
import { checkMaskBudget, POSTPROCESS_CONCURRENCY } from './mask-budget.js';
import { SharedWork } from './shared-work.js';
import type { BBox, Mask } from './mask.js';
import { loadModelPackage, type ModelPackage } from './model/manifest.js';
import { ALL_GRAPH_NAMES, GRAPH_NAMES, graphNames, promptPaths, type GraphName, type PromptPath } from './model/manifest-types.js';
import { maskStats, normalizeToNchw } from './ops.js';
import { checkPromptInImage, describePrompt, exemplarsOf, isInteractive, resolvePromptInputs, type Point, type Prompt, type ResolvedPrompt } from './prompts.js';
import {
  EMBED_OPTIONS,
  rejectUnknownOptions,
  resolveSegmenterOptions,
  resolveSegmentOptions,
  type ResolvedSegmenterOptions,
  type ResolvedSegmentOptions,
  type SegmenterOptions,
  type SegmentOptions,
  type StageTimings,
} from './options.js';
import { PromptTokenizer } from './tokenizer.js';
import { Suggester, suggestMode, type Suggestion, type SuggestOptions } from './suggestions/suggest.js';

export type { Box } from './families/family.js';
export type { Point, Prompt, PromptObject } from './prompts.js';

/** One instance of the prompt: its own mask, score and boxes. */
export interface SegmentInstance {
  /** At the original image size, smoothed and with negative prompts removed. */
  mask: Mask;
  /** σ(logit)·σ(presence) on sam3-concept; the predicted IoU on the tracker families. */
  score: number;
  /** [x0, y0, x1, y1]: the model's box clipped to the image (sam3-concept), else the mask's bounds. */
  box: Box;
  /** [x, y, width, height] of the mask's set pixels. */
  bbox: BBox;
  area: number;
}

export interface SegmentResult {
  /** The prompt's text; for points and boxes alone, what was given ("2 points + box"). */
  prompt: string;
  /** The prompt's points, labels and box as given (original-image pixels), when it had them. */
  points?: Point[];
  labels?: (0 | 1)[];
  box?: Box;
  /** sam3-concept: the text prompt's box exemplars (their labels in `labels`). */
  boxes?: Box[];
  /**
   * The union of the kept instances at the original image size, smoothed and with negative prompts
   * removed. The tracker families give their selected candidate even when it did not pass.
   */
  mask: Mask;
  /** The best instance's score (the best candidate's when none passed). */
  score: number;
  /** Whether any instance passed the threshold. */
  passedThreshold: boolean;
  /**
   * The tracker decoder's answers (tracker families, and points and boxes on any family): which
   * candidate was selected, every candidate's predicted IoU and, with `allCandidates`, its mask at
   * the original size after smoothing (negative prompts are removed from `mask` only).
   */
  candidateIndex?: number;
  candidates?: { iou: number; mask?: Mask }[];
  bbox: BBox;
  area: number;
  /** Every kept instance, best first (the tracker families: the selected mask when it passed). */
  instances: SegmentInstance[];
  /** sam3-concept: σ of the presence logit. */
  presence?: number;
}

export interface SegmenterStats {
  backend: BackendName;
  runs: Record<GraphName, { runs: number; ms: number }>;
  cache: { images: number; prompts: number };
}

type Stage = LoadProgress['stage'];


/**
 * Segments objects named by text prompts. Loads in the background: `ready` settles when every
 * model is loaded, and 'progress' events report each stage. Calls made before then wait.
 */
export class Segmenter extends EventEmitter<{ progress: [LoadProgress] }> {
  readonly options: ResolvedSegmenterOptions;
  /** Settles when the models are loaded; rejects with the load error. */
  readonly ready: Promise<this>;
  private pkg?: ModelPackage;
  private family?: ModelFamily;
  /** Absent on a package without the text path. */
  private tokenizer?: PromptTokenizer;
  /** Each instance segment() returned, and the embedding it came from: refine() starts there. */
  private readonly instanceOrigins = new WeakMap<SegmentInstance, ImageEmbedding>();
  private backend?: Backend;
  private selection?: BackendSelection;
  private disposedFlag = false;
  private readonly images: LruCache<string, Promise<ImageEmbedding>>;
  /** Encodes in flight, by their promise, with who still waits for each. */
  private readonly encoding = new Map<Promise<ImageEmbedding>, SharedWork<ImageEmbedding>>();
  private readonly prompts: LruCache<string, Float32Array>;
  private suggester?: Suggester;

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

  /** manifest, tokenizer (with a text path), then the package's graphs (the tracker families' until the manifest is read). */
  private get loadStages(): Stage[] {
    if (!this.pkg) return ['manifest', 'tokenizer', ...GRAPH_NAMES];
    return ['manifest', ...(this.pkg.manifest.tokenizer ? (['tokenizer'] as const) : []), ...graphNames(this.pkg.manifest)];
  }

  private progress(stage: Stage): void {
    const stages = this.loadStages;
    this.emit('progress', { stage, loaded: stages.indexOf(stage) + 1, total: stages.length });
  }

  private async load(): Promise<this> {
    this.pkg = await loadModelPackage(this.options.models, {
      verifyHashes: this.options.verifyHashes,
      ...(this.options.modelCache === undefined ? {} : { hashCache: this.options.modelCache }),
    });
    this.family = familyFor(this.pkg.manifest);
    this.progress('manifest');
    if (this.pkg.manifest.tokenizer) {
      this.tokenizer = await PromptTokenizer.fromFile(this.pkg.paths.tokenizer, this.pkg.manifest.tokenizer);
      this.progress('tokenizer');
    }
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
    const total = this.loadStages.length;
    this.emit('progress', { stage: 'ready', loaded: total, total });
    return this;
  }

  /**
   * Which backend runs, and why 'auto' chose it; on TensorRT the engine folder; on OpenVINO how each
   * graph loaded (compile or compiled-cache import, time, the precision it computes in).
   */
  get backendInfo(): { name: BackendName; reason: string; engines?: string; graphs?: OpenVinoGraphLoad[] } | undefined {
    const loads = this.backend instanceof OpenVinoBackend ? this.backend.loads : undefined;
    return (
      this.selection && {
        name: this.selection.name,
        reason: this.selection.reason,
        ...(this.selection.engines ? { engines: this.selection.engines } : {}),
        ...(loads?.length ? { graphs: loads.map((l) => ({ ...l })) } : {}),
      }
    );
  }

  get manifest() {
    return this.pkg?.manifest;
  }

  /** The kinds of prompt the loaded package answers: 'text', 'points', 'box' (undefined until loaded). */
  get promptPaths(): PromptPath[] | undefined {
    return this.pkg && promptPaths(this.pkg.manifest);
  }

  private async loaded(): Promise<{ pkg: ModelPackage; tokenizer: PromptTokenizer | undefined; backend: Backend }> {
    this.checkDisposed();
    await this.ready;
    this.checkDisposed();
    return { pkg: this.pkg!, tokenizer: this.tokenizer, backend: this.backend! };
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

  /**
   * Segments every prompt in one image. A prompt is a sentence, or an object with points (labels 1
   * on the object, 0 off it), a box and/or text in original-image pixels. All text prompts (and
   * negative prompts) go through the text path as one batch; points and boxes through the
   * interactive path on the same image embedding. Results come back in prompt order.
   */
  async segment(
    image: ImageInput | ImageEmbedding,
    prompt: Prompt | readonly Prompt[],
    options: SegmentOptions = {},
  ): Promise<SegmentResult[]> {
    const opts = resolveSegmentOptions(options);
    await this.loaded();
    const { prompts, routes, fields } = this.routePrompts(prompt);
    if (opts.negative.length > 0 && !this.pkg!.manifest.tokenizer)
      throw new Sam3ClipError('E_INVALID_PROMPT', 'negative: this model package has no text path, so negative prompts cannot be read', { field: 'negative' });
    return this.run(image, prompts, routes, fields, opts);
  }

  /**
   * Checks prompts against the loaded package without running anything: E_INVALID_PROMPT for a
   * malformed prompt, a kind the package has no path for, or (given the image's size) clicks off the
   * image. What segment() checks first; the HTTP server calls it before it encodes an upload.
   */
  async checkPrompts(prompt: Prompt | readonly Prompt[], size?: { width: number; height: number }): Promise<void> {
    await this.loaded();
    const { prompts, fields } = this.routePrompts(prompt);
    if (size) prompts.forEach((p, i) => checkPromptInImage(p, size.width, size.height, fields[i]!));
  }

  /** The prompts resolved, each with the path that answers it and its name in errors. */
  private routePrompts(prompt: Prompt | readonly Prompt[]) {
    const prompts = resolvePromptInputs(prompt);
    const fields = prompts.map((_, i) => (Array.isArray(prompt) ? `prompt[${i}]` : 'prompt'));
    const routes = prompts.map((p, i) => this.family!.routePrompt(p, fields[i]!));
    return { prompts, routes, fields };
  }

  /**
   * Refines one instance of an earlier result with clicks: its box and the points (labels 1 on the
   * object, 0 off it) go to the interactive path's decoder on the image's cached embedding. On
   * sam3-concept this is how points act on a text result. Give `image` when the instance's
   * embedding may have left the cache (or was disposed).
   */
  async refine(
    instance: SegmentInstance,
    prompt: { points: readonly (readonly [number, number])[]; labels?: readonly (0 | 1)[] },
    options: SegmentOptions & { image?: ImageInput | ImageEmbedding } = {},
  ): Promise<SegmentResult> {
    if (instance === null || typeof instance !== 'object' || !Array.isArray(instance.box))
      throw new Sam3ClipError('E_INVALID_PROMPT', 'instance must be one of result.instances', { field: 'instance' });
    if (prompt === null || typeof prompt !== 'object')
      throw new Sam3ClipError('E_INVALID_PROMPT', 'prompt must be { points, labels? }', { field: 'prompt' });
    const { image, ...segmentOptions } = options;
    const [resolved] = resolvePromptInputs({ box: instance.box, points: prompt.points, ...(prompt.labels ? { labels: prompt.labels } : {}) });
    const opts = resolveSegmentOptions(segmentOptions);
    await this.loaded();
    const route = this.family!.routePrompt(resolved!, 'prompt');
    const origin = image ?? this.instanceOrigins.get(instance);
    if (!origin || (origin instanceof ImageEmbedding && origin.disposed))
      throw new Sam3ClipError(
        'E_INVALID_OPTION',
        "This instance's image embedding is gone (evicted from the cache or disposed, or the instance came from another Segmenter): pass the image as options.image",
        { field: 'image' },
      );
    const [result] = await this.run(origin, [resolved!], [route], ['prompt'], opts);
    return result!;
  }

  private async run(
    image: ImageInput | ImageEmbedding,
    prompts: ResolvedPrompt[],
    routes: ('text' | 'interactive')[],
    fields: string[],
    opts: ResolvedSegmentOptions,
  ): Promise<SegmentResult[]> {
    const { pkg, tokenizer, backend } = await this.loaded();
    const signal = opts.signal;
    throwIfAborted(signal);
    const t: StageTimings = opts.timings ?? {};
    const start = performance.now();
    const textIndices = routes.flatMap((r, i) => (r === 'text' ? [i] : []));
    const interactiveIndices = routes.flatMap((r, i) => (r === 'interactive' ? [i] : []));
    // Every candidate's mask is a mask the call holds.
    const K = pkg.manifest.family === 'sam3-concept' ? (pkg.manifest.tracker?.candidates ?? 1) : pkg.manifest.mask.candidates;
    const maskCount = textIndices.length + interactiveIndices.length * (opts.allCandidates ? K + 1 : 1);

    // What the image's size decides: the mask budget, and clicks inside the image.
    const checkSize = (width: number, height: number) => {
      checkMaskBudget(width, height, maskCount, opts.negative.length, backend.kind, this.options.maskBudgetMiB);
      prompts.forEach((p, i) => checkPromptInImage(p, width, height, fields[i]!));
    };
    let embedding: ImageEmbedding;
    if (image instanceof ImageEmbedding) {
      if (image.owner !== this)
        throw new Sam3ClipError('E_INVALID_OPTION', 'This ImageEmbedding was made by another Segmenter', { field: 'image' });
      checkSize(image.width, image.height);
      embedding = image;
      t.cachedImage = true;
    } else {
      // A new image is checked from its header, before any pixel is decoded (the header is then not
      // read again); bytes already cached or being encoded give their size from the embedding.
      const source = await readImageSource(image);
      const probed = this.images.get(source.key) ? undefined : await probeImage(source, this.options.maxPixels);
      if (probed) checkSize(probed.width, probed.height);
      embedding = await this.embedShared(source, { ...(signal ? { signal } : {}), timings: t }, probed);
      if (!probed) checkSize(embedding.width, embedding.height);
    }
    // Held here so a dispose() racing this call cannot pull the tensors away mid-way.
    const features: EmbeddingFeatures = embedding.getFeatures();
    throwIfAborted(signal);

    const family = this.family!;
    const textCall = (positives: string[], exemplars?: (BoxExemplar[] | undefined)[]): PromptCall => ({
      all: [...positives, ...opts.negative],
      positiveCount: positives.length,
      ...(exemplars?.some((e) => e) ? { exemplars } : {}),
      embedding,
      features,
      opts,
      tokenizer: tokenizer!,
      promptCache: this.prompts,
      maskBudgetMiB: this.options.maskBudgetMiB,
      t,
    });
    const runText = (call: PromptCall): Promise<PromptOutcome[]> => {
      if (backend.kind === 'device') {
        if (!family.segmentOnDevice) throw new Sam3ClipError('E_BACKEND_UNAVAILABLE', `The ${backend.name} backend does not run the ${pkg.manifest.family} family`);
        return family.segmentOnDevice(backend, call);
      }
      return family.segmentOnHost(backend, call);
    };
    const outcomes: PromptOutcome[] = new Array(prompts.length);
    if (textIndices.length > 0) {
      const exemplars = textIndices.map((i) => exemplarsOf(prompts[i]!));
      const answered = await runText(textCall(textIndices.map((i) => prompts[i]!.text!), exemplars));
      textIndices.forEach((i, k) => (outcomes[i] = answered[k]!));
      throwIfAborted(signal);
    }
    if (interactiveIndices.length > 0) {
      // Negative prompts are text: their passing masks, unioned, are removed from each click's mask.
      let negative: Mask | undefined;
      if (opts.negative.length > 0) {
        const negatives = await runText({ ...textCall(opts.negative), all: opts.negative });
        for (const n of negatives.filter((o) => o.passedThreshold)) {
          if (!negative) negative = { ...n.mask, data: n.mask.data.slice() };
          else for (let j = 0; j < negative.data.length; j++) negative.data[j]! |= n.mask.data[j]!;
        }
      }
      const call: InteractivePromptCall = {
        prompts: interactiveIndices.map((i) => prompts[i]!),
        embedding,
        features,
        opts,
        ...(tokenizer ? { tokenizer } : {}),
        promptCache: this.prompts,
        ...(negative ? { negative } : {}),
        allCandidates: opts.allCandidates,
        t,
      };
      if (!family.segmentInteractive) throw new Sam3ClipError('E_INVALID_PROMPT', `The ${pkg.manifest.family} family has no interactive path`, { field: 'prompt' });
      const answered = await family.segmentInteractive(backend, call);
      interactiveIndices.forEach((i, k) => (outcomes[i] = answered[k]!));
    }
    throwIfAborted(signal);
    const mark = performance.now();

    // Without an image cache nothing else will use this embedding: free it now (on the GPU
    // backend that returns its device memory at once instead of at the next eviction).
    const origin = image instanceof ImageEmbedding ? image : this.options.cache.images === 0 ? undefined : embedding;
    if (!origin) embedding.dispose();

    const results = await mapLimited(prompts, POSTPROCESS_CONCURRENCY, async (p, i): Promise<SegmentResult> => {
      const { instances, mask, ...rest } = outcomes[i]!;
      const { area, bbox } = await maskStats(mask);
      const described: SegmentInstance[] = [];
      for (const inst of instances) {
        // The tracker families' one instance is the result's own mask: its stats are the same.
        const stats = inst.mask === mask ? { area, bbox } : await maskStats(inst.mask);
        const box: Box = inst.box ?? [stats.bbox[0], stats.bbox[1], stats.bbox[0] + stats.bbox[2], stats.bbox[1] + stats.bbox[3]];
        const instance: SegmentInstance = { mask: inst.mask, score: inst.score, box, bbox: stats.bbox, area: stats.area };
        if (origin) this.instanceOrigins.set(instance, origin);
        described.push(instance);
      }
      const exemplars = isInteractive(p) ? undefined : exemplarsOf(p);
      const given = isInteractive(p)
        ? { ...(p.points.length ? { points: p.points, labels: p.labels } : {}), ...(p.box ? { box: p.box } : {}) }
        : exemplars
          ? { boxes: exemplars.map((e) => e.box), labels: exemplars.map((e) => e.label) }
          : {};
      return { prompt: describePrompt(p), ...given, mask, ...rest, bbox, area, instances: described };
    });
    const end = performance.now();
    t.postprocess = (t.postprocess ?? 0) + (end - mark);
    t.total = end - start;
    return results;
  }

  /** Whether suggest() works on the loaded package: CLIP's image tower, or sam3-concept with verify (undefined until loaded). */
  get suggestMode(): 'clip' | 'detector' | undefined {
    return this.pkg && suggestMode(this.pkg);
  }

  /**
   * Names from a vocabulary (default COCO's 80 categories) that fit the image, best first: CLIP's
   * image tower against the text tower's embeddings of the vocabulary (computed once, kept in memory
   * and in modelCache). With verify, only names the segmenter finds (lib/suggestions/suggest.ts).
   */
  async suggest(image: ImageInput, options: SuggestOptions = {}): Promise<Suggestion[]> {
    const { pkg, tokenizer, backend } = await this.loaded();
    this.suggester ??= new Suggester({
      pkg,
      tokenizer,
      backend,
      modelCache: this.options.modelCache,
      maxPixels: this.options.maxPixels,
      readImage: readImageSource,
      segment: (img, prompts, signal) => this.segment(img, prompts, signal ? { signal } : {}),
    });
    return this.suggester.suggest(image, options);
  }

  /** Run counts and cache sizes (a cached image shows no new image_encoder run). */
  stats(): SegmenterStats {
    return {
      backend: this.backend?.name ?? 'cpu',
      runs: this.backend?.stats() ?? (Object.fromEntries(ALL_GRAPH_NAMES.map((g) => [g, { runs: 0, ms: 0 }])) as SegmenterStats['runs']),
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
