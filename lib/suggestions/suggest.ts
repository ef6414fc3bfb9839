import { Sam3ClipError, throwIfAborted } from '../errors.js';
import type { Backend, HostBackend } from '../backends/backend.js';
import { imageTowerPixels } from '../image/clip-preprocess.js';
import { decodeRgb } from '../image/decode.js';
import type { ImageInput, ImageSource } from '../image/image-input.js';
import type { ModelPackage } from '../model/manifest.js';
import { hasImageTower, isConceptManifest, textPathSpec, type ImageTowerSpec } from '../model/manifest-types.js';
import { MAX_PROMPTS, rejectUnknownOptions } from '../options.js';
import type { PromptTokenizer } from '../tokenizer.js';
import { textEmbeddings } from '../families/text-embeddings.js';
import { COCO_CATEGORIES } from '../vocabularies/coco.js';
import {
  normalizeRows,
  readVocabularyFile,
  vocabularyFile,
  vocabularyKey,
  writeVocabularyFile,
  type VocabularyEmbeddings,
} from './vocabulary-embeddings.js';

export interface SuggestOptions {
  /** How many suggestions, best first (default 10, at most 100). */
  top?: number;
  /** Names to choose from (default COCO's 80 categories). */
  vocabulary?: readonly string[];
  /**
   * Keep only names the segmenter finds: tracker packages segment the top names and keep those that
   * pass the threshold; sam3-concept (which needs it) runs its detector over the whole vocabulary.
   */
  verify?: boolean;
  signal?: AbortSignal;
}

export interface Suggestion {
  text: string;
  /** CLIP's cosine similarity of image and text embeddings (tracker packages), or the best instance's score (sam3-concept). */
  score: number;
  /** With verify: how many instances the segmenter found. */
  instances?: number;
}

/** What suggest() needs of the segmenter that owns it. */
export interface SuggestHost {
  pkg: ModelPackage;
  tokenizer: PromptTokenizer | undefined;
  backend: Backend;
  modelCache: string | undefined;
  maxPixels: number;
  readImage(image: ImageInput): Promise<ImageSource>;
  segment(image: ImageInput, prompts: string[], signal?: AbortSignal): Promise<{ prompt: string; score: number; passedThreshold: boolean; instances: unknown[] }[]>;
}

const SUGGEST_OPTIONS = ['top', 'vocabulary', 'verify', 'signal'] as const;
/** Vocabulary rows per text_encoder run. */
const TEXT_BATCH = 16;
/** sam3-concept prompts per detector call when verifying (each holds full-size masks). */
const CONCEPT_BATCH = 8;
const MAX_VOCABULARY = 10_000;

function invalid(field: string, message: string): Sam3ClipError {
  return new Sam3ClipError('E_INVALID_OPTION', `Option ${field} ${message}`, { field });
}

interface ResolvedSuggestOptions {
  top: number;
  vocabulary: readonly string[];
  verify: boolean;
  signal?: AbortSignal;
}

export function resolveSuggestOptions(options: SuggestOptions = {}): ResolvedSuggestOptions {
  if (options === null || typeof options !== 'object') throw invalid('options', 'must be an object');
  rejectUnknownOptions(options, SUGGEST_OPTIONS);
  const top = options.top ?? 10;
  if (!Number.isInteger(top) || top < 1 || top > 100) throw invalid('top', `must be an integer from 1 to 100, got ${JSON.stringify(top)}`);
  const given = options.vocabulary ?? COCO_CATEGORIES;
  if (!Array.isArray(given) || given.length === 0 || given.length > MAX_VOCABULARY)
    throw invalid('vocabulary', `must be a list of 1 to ${MAX_VOCABULARY} names`);
  const vocabulary = [...new Set(given.map((w, i) => {
    if (typeof w !== 'string' || w.trim() === '') throw invalid(`vocabulary[${i}]`, 'must be a non-empty string');
    return w.trim();
  }))];
  if (options.verify !== undefined && typeof options.verify !== 'boolean') throw invalid('verify', 'must be true or false');
  return { top, vocabulary, verify: options.verify ?? false, ...(options.signal ? { signal: options.signal } : {}) };
}

/** Whether a package can suggest prompts: CLIP's image tower, or sam3-concept's detector (with verify). */
export function suggestMode(pkg: ModelPackage): 'clip' | 'detector' | undefined {
  if (hasImageTower(pkg.manifest)) return 'clip';
  return isConceptManifest(pkg.manifest) ? 'detector' : undefined;
}

/**
 * Prompt suggestions for one segmenter: the vocabulary's text embeddings are computed once per
 * vocabulary (and kept in memory and on disk); each image costs one image_tower run.
 */
export class Suggester {
  private readonly vocabularies = new Map<string, Promise<VocabularyEmbeddings>>();

  constructor(private readonly host: SuggestHost) {}

  async suggest(image: ImageInput, options: SuggestOptions = {}): Promise<Suggestion[]> {
    const opts = resolveSuggestOptions(options);
    throwIfAborted(opts.signal);
    const mode = suggestMode(this.host.pkg);
    if (mode === 'detector') return this.suggestByDetector(image, opts);
    if (mode === undefined)
      throw new Sam3ClipError(
        'E_INVALID_OPTION',
        `suggest: ${this.host.pkg.manifest.name} has no CLIP image tower (files.image_tower); export the package with --clip-image-tower`,
        { field: 'suggest' },
      );
    const backend = this.hostBackend();
    const spec = (this.host.pkg.manifest as { imageTower: ImageTowerSpec }).imageTower;
    const source = await this.host.readImage(image);
    const { width, height, rgb } = await decodeRgb(source, this.host.maxPixels);
    throwIfAborted(opts.signal);
    const T = spec.size;
    const out = await backend.run('image_tower', { pixel_values: { type: 'float32', dims: [1, 3, T, T], data: await imageTowerPixels(rgb, width, height, spec) } });
    const imageEmbeds = normalizeRows(Float32Array.from(out.image_embeds!.data), out.image_embeds!.data.length);
    const text = await this.vocabularyEmbeddings(opts.vocabulary);
    throwIfAborted(opts.signal);
    if (text.width !== imageEmbeds.length)
      throw new Sam3ClipError('E_MODEL_SHAPE', `image_tower gives ${imageEmbeds.length} values, text_encoder ${text.width}: not one CLIP`, { field: 'image_embeds' });
    const ranked = opts.vocabulary
      .map((word, r) => {
        let dot = 0;
        for (let i = 0; i < text.width; i++) dot += text.data[r * text.width + i]! * imageEmbeds[i]!;
        return { text: word, score: dot };
      })
      .sort((a, b) => b.score - a.score)
      .slice(0, opts.top);
    if (!opts.verify) return ranked;
    const verified: Suggestion[] = [];
    for (let start = 0; start < ranked.length; start += MAX_PROMPTS) {
      const chunk = ranked.slice(start, start + MAX_PROMPTS);
      const results = await this.host.segment(image, chunk.map((s) => s.text), opts.signal);
      chunk.forEach((s, i) => {
        if (results[i]!.passedThreshold) verified.push({ ...s, instances: results[i]!.instances.length });
      });
    }
    return verified;
  }

  /** sam3-concept has no image–text embedding: its detector runs over the vocabulary, ranked by best instance score. */
  private async suggestByDetector(image: ImageInput, opts: ResolvedSuggestOptions): Promise<Suggestion[]> {
    if (!opts.verify)
      throw new Sam3ClipError(
        'E_INVALID_OPTION',
        `suggest: ${this.host.pkg.manifest.name} is a sam3-concept package, which has no CLIP image embedding to rank names by; pass verify: true to run its detector over the vocabulary`,
        { field: 'verify' },
      );
    const found: Suggestion[] = [];
    for (let start = 0; start < opts.vocabulary.length; start += CONCEPT_BATCH) {
      const words = opts.vocabulary.slice(start, start + CONCEPT_BATCH) as string[];
      const results = await this.host.segment(image, words, opts.signal);
      results.forEach((r, i) => {
        if (r.passedThreshold) found.push({ text: words[i]!, score: r.score, instances: r.instances.length });
      });
    }
    return found.sort((a, b) => b.score - a.score).slice(0, opts.top);
  }

  private hostBackend(): HostBackend {
    const backend = this.host.backend;
    if (backend.kind !== 'host')
      throw new Sam3ClipError('E_INVALID_OPTION', `suggest runs on the CPU backends (cpu, openvino), not on ${backend.name}`, { field: 'backend' });
    return backend;
  }

  /** The vocabulary's unit text embeddings: from memory, else the modelCache folder, else text_encoder (in batches). */
  vocabularyEmbeddings(vocabulary: readonly string[]): Promise<VocabularyEmbeddings> {
    const { manifest } = this.host.pkg;
    const key = vocabularyKey(manifest.files.text_encoder!.sha256, manifest.files.tokenizer!.sha256, vocabulary);
    let pending = this.vocabularies.get(key);
    if (!pending) {
      pending = this.loadVocabulary(key, vocabulary);
      this.vocabularies.set(key, pending);
      pending.catch(() => this.vocabularies.delete(key));
    }
    return pending;
  }

  private async loadVocabulary(key: string, vocabulary: readonly string[]): Promise<VocabularyEmbeddings> {
    const { textEmbedding: width, tokenizer: spec } = textPathSpec(this.host.pkg.manifest);
    const file = this.host.modelCache && vocabularyFile(this.host.modelCache, key);
    const cached = file && (await readVocabularyFile(file, vocabulary.length, width));
    if (cached) return cached;
    const backend = this.hostBackend();
    const data = new Float32Array(vocabulary.length * width);
    for (let start = 0; start < vocabulary.length; start += TEXT_BATCH) {
      const tokens = await this.host.tokenizer!.encodeBatch(vocabulary.slice(start, start + TEXT_BATCH));
      data.set((await textEmbeddings(backend, tokens, spec)).data, start * width);
    }
    const embeddings = { rows: vocabulary.length, width, data: normalizeRows(data, width) };
    // The disk copy only saves the next start's text_encoder runs: a cache folder that cannot be written is no error.
    if (file) await writeVocabularyFile(file, embeddings).catch(() => {});
    return embeddings;
  }
}
