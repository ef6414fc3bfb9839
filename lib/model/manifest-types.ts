/**
 * The model package contract (docs/model-package.md). One folder, read by every backend:
 * manifest.json, the ONNX graphs of its family and a Hugging Face tokenizer.json.
 *   - the tracker families (sam3, sam2, sam, fixture): the image encoder and a SAM mask decoder, with
 *     a text path (text tower, projection MLP, tokenizer), an interactive path (the prompt encoder of
 *     points and boxes) or both;
 *   - sam3-concept (SAM3's own text path): image encoder, text encoder, detector; optionally box
 *     exemplars (detector_boxes) and the tracker's interactive path on the same image encoding.
 * Which paths a package has is read from the files its manifest lists (promptPaths).
 */
export const MANIFEST_FORMAT = 'sam3clip-model-package';
export const MANIFEST_FORMAT_VERSION = 1;

export type ResizeMode = 'stretch' | 'longest-side';

/**
 * CLIP's image tower (image_tower: pixel_values [1,3,T,T] → image_embeds [1,D], D = dims.textEmbedding), for
 * prompt suggestions. Preprocessing as CLIPImageProcessor: the shortest side resized to T (bicubic, antialiased),
 * the centre T×T cropped, then (pixel / 255 - mean) / std.
 */
export interface ImageTowerSpec {
  size: number;
  resize: 'shortest-side-center-crop';
  mean: [number, number, number];
  std: [number, number, number];
}
export type TrackerFamily = 'sam3' | 'sam2' | 'sam' | 'fixture';
export type ModelFamily = TrackerFamily | 'sam3-concept';
export const MODEL_FAMILIES: readonly ModelFamily[] = ['sam3', 'sam2', 'sam', 'fixture', 'sam3-concept'];
export type Precision = 'fp32' | 'fp16';
export type TrackerGraphName = 'image_encoder' | 'text_encoder' | 'text_projection' | 'prompt_encoder' | 'mask_decoder' | 'image_tower';
export type ConceptGraphName = 'image_encoder' | 'text_encoder' | 'detector' | 'detector_boxes' | 'prompt_encoder' | 'mask_decoder';
export type GraphName = TrackerGraphName | ConceptGraphName;
export type PackageFileName = GraphName | 'tokenizer';

export interface PackageFile {
  /** Relative to the package folder; no '..' and no absolute paths. */
  path: string;
  /** Lowercase hex SHA-256 of the file's bytes. */
  sha256: string;
}

/** What every family's manifest holds. */
interface ManifestBase {
  format: typeof MANIFEST_FORMAT;
  formatVersion: typeof MANIFEST_FORMAT_VERSION;
  /** Package name: engines are stored under engines/<name>/. [a-z0-9._-]+ */
  name: string;
  precision: Precision;
  image: {
    /** Encoder input side S: pixel_values is [1,3,S,S]. */
    size: number;
    resize: ResizeMode;
    /** Per channel (RGB), applied as (pixel / 255 - mean) / std. */
    mean: [number, number, number];
    std: [number, number, number];
  };
}

/**
 * How tokenizer.json frames a prompt: 'clip' BOS … EOS (CLIP's BPE; EOS-padded), 'bert' [CLS] … [SEP]
 * (WordPiece, e.g. Chinese-CLIP; [PAD]-padded, attention mask fed). Both are added by tokenizer.json's own
 * post-processor; truncation keeps the closing token last.
 */
export type TokenizerFraming = 'clip' | 'bert';
export const TOKENIZER_FRAMINGS: readonly TokenizerFraming[] = ['clip', 'bert'];

export interface TokenizerSpec {
  /** L: input_ids is [B,L]. */
  contextLength: number;
  padId: number;
  /** Whether the library lowercases prompts itself ('bert' tokenizers lowercase in their own normalizer). */
  lowercase: boolean;
  /** Whether text_encoder takes an attention_mask input. */
  attentionMask: boolean;
  /** Absent means 'clip' (packages written before the field). */
  framing?: TokenizerFraming;
}

/** The design card's path: text tower → projection MLP → a SAM mask decoder (3 candidates + IoU). */
export interface TrackerManifest extends ManifestBase {
  family: TrackerFamily;
  /** Absent on a package without the text path. */
  tokenizer?: TokenizerSpec;
  /** With files.image_tower (prompt suggestions). */
  imageTower?: ImageTowerSpec;
  dims: {
    /** C of image_embeddings [1,C,h,w] (256 for every SAM). */
    embeddingChannels: number;
    /** [h, w] of image_embeddings. */
    embeddingSize: [number, number];
    /** Whether image_encoder outputs high_res_feats_0 [1,32,4h,4w] and high_res_feats_1 [1,64,2h,2w]. */
    highResFeatures: boolean;
    /** D of text_embeds [B,D] (text path only). */
    textEmbedding?: number;
    /** Width of prompt_embeds [B,N,P] (256). */
    promptEmbedding: number;
    /** N: prompt tokens per text prompt in prompt_embeds (text path only). */
    promptTokens?: number;
  };
  mask: {
    /** m: masks is [B,K,m,m]. */
    size: number;
    /** K: candidate masks per prompt (3). */
    candidates: number;
  };
  /** image_encoder and mask_decoder always; text_encoder, text_projection and tokenizer together; prompt_encoder; image_tower. */
  files: Partial<Record<TrackerGraphName | 'tokenizer', PackageFile>>;
}

/** SAM3's concept segmentation (transformers Sam3Model): every instance of the prompt, scored. */
export interface ConceptManifest extends ManifestBase {
  family: 'sam3-concept';
  tokenizer: TokenizerSpec;
  dims: {
    /** C of the FPN levels fpn_feats_0/1/2 [1,C,4h,4w] / [1,C,2h,2w] / [1,C,h,w] (256). */
    embeddingChannels: number;
    /** [h, w] of the coarsest level the detector reads (72×72 at S = 1008). */
    embeddingSize: [number, number];
    /** Width of text_features [B,L,T] (256). */
    textFeatures: number;
    /** Q: detector queries, each a candidate instance (200). */
    queries: number;
  };
  mask: {
    /** m: pred_masks is [B,Q,m,m]. */
    size: number;
  };
  /** Defaults of the post-processing: instance score and mask probability. */
  thresholds: { score: number; mask: number };
  /** The tracker's interactive path on the same image encoding, when the package has it. */
  tracker?: {
    /** C of image_embeddings [1,C,h,w] (256). */
    embeddingChannels: number;
    embeddingSize: [number, number];
    /** m: masks is [B,K,m,m]. */
    maskSize: number;
    /** K (3). */
    candidates: number;
  };
  /** image_encoder, text_encoder, detector, tokenizer always; detector_boxes; prompt_encoder + mask_decoder with `tracker`. */
  files: Partial<Record<ConceptGraphName | 'tokenizer', PackageFile>>;
}

export type ModelManifest = TrackerManifest | ConceptManifest;

export function isConceptManifest(m: ModelManifest): m is ConceptManifest {
  return m.family === 'sam3-concept';
}

/** The ONNX I/O names of each graph, fixed by the contract. */
export const GRAPH_IO = {
  image_encoder: {
    inputs: ['pixel_values'],
    outputs: ['image_embeddings'],
    highResOutputs: ['high_res_feats_0', 'high_res_feats_1'],
  },
  text_encoder: { inputs: ['input_ids'], optionalInputs: ['attention_mask'], outputs: ['text_embeds'] },
  text_projection: { inputs: ['text_embeds'], outputs: ['prompt_embeds'] },
  image_tower: { inputs: ['pixel_values'], outputs: ['image_embeds'] },
  prompt_encoder: { inputs: ['input_points', 'input_labels'], outputs: ['sparse_embeddings'] },
  mask_decoder: {
    inputs: ['image_embeddings', 'prompt_embeds'],
    highResInputs: ['high_res_feats_0', 'high_res_feats_1'],
    outputs: ['masks', 'iou_scores'],
  },
} as const;

/** The tracker families' graphs, in load order (a package holds those of its paths). */
export const GRAPH_NAMES: readonly TrackerGraphName[] = ['image_encoder', 'text_encoder', 'text_projection', 'prompt_encoder', 'mask_decoder', 'image_tower'];
export const CONCEPT_GRAPH_NAMES: readonly ConceptGraphName[] = ['image_encoder', 'text_encoder', 'detector', 'detector_boxes', 'prompt_encoder', 'mask_decoder'];
/** Every graph a package of any family may hold. */
export const ALL_GRAPH_NAMES: readonly GraphName[] = [...GRAPH_NAMES, 'detector', 'detector_boxes'];

/** The kinds of prompt a package answers: text, points (clicks) and a box. */
export type PromptPath = 'text' | 'points' | 'box';

/** The graphs this manifest lists, in load order. */
export function graphNames(m: ModelManifest): readonly GraphName[] {
  const listed = m.files as Partial<Record<GraphName, PackageFile>>;
  return (isConceptManifest(m) ? CONCEPT_GRAPH_NAMES : GRAPH_NAMES).filter((g) => listed[g] !== undefined);
}

/** Whether the package has the text path (a text tower and tokenizer; on sam3-concept always). */
export function hasTextPath(m: ModelManifest): boolean {
  return m.files.text_encoder !== undefined && m.files.tokenizer !== undefined;
}

/** Whether the package has the interactive path: the prompt encoder of points and boxes, and a SAM mask decoder. */
export function hasInteractivePath(m: ModelManifest): boolean {
  return m.files.prompt_encoder !== undefined && m.files.mask_decoder !== undefined;
}

/** Whether the package has CLIP's image tower (prompt suggestions by image–text similarity). */
export function hasImageTower(m: ModelManifest): m is TrackerManifest & { imageTower: ImageTowerSpec } {
  return !isConceptManifest(m) && m.files.image_tower !== undefined && m.imageTower !== undefined;
}

/** Whether text prompts may carry a box exemplar (sam3-concept with detector_boxes). */
export function hasBoxExemplars(m: ModelManifest): boolean {
  return isConceptManifest(m) && m.files.detector_boxes !== undefined;
}

/** What a package answers, read from its files. */
export function promptPaths(m: ModelManifest): PromptPath[] {
  return [...(hasTextPath(m) ? (['text'] as const) : []), ...(hasInteractivePath(m) ? (['points', 'box'] as const) : [])];
}

/** The text path's settings, for code that runs only on it (the TensorRT pipelines, the text families' prompt path). */
export function textPathSpec(m: ModelManifest): { tokenizer: TokenizerSpec; textEmbedding: number; promptTokens: number } {
  const dims = m.dims as { textEmbedding?: number; promptTokens?: number };
  if (!m.tokenizer || !hasTextPath(m)) throw new Error(`${m.name} has no text path`);
  return { tokenizer: m.tokenizer, textEmbedding: dims.textEmbedding ?? 0, promptTokens: dims.promptTokens ?? 0 };
}
