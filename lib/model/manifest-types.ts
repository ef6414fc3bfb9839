/**
 * The model package contract (docs/model-package.md). One folder, read by every backend:
 * manifest.json, four ONNX graphs and a Hugging Face tokenizer.json.
 */
export const MANIFEST_FORMAT = 'sam3clip-model-package';
export const MANIFEST_FORMAT_VERSION = 1;

export type ResizeMode = 'stretch' | 'longest-side';
export type ModelFamily = 'sam3' | 'sam2' | 'sam' | 'fixture';
export type Precision = 'fp32' | 'fp16';
export type GraphName = 'image_encoder' | 'text_encoder' | 'text_projection' | 'mask_decoder';
export type PackageFileName = GraphName | 'tokenizer';

export interface PackageFile {
  /** Relative to the package folder; no '..' and no absolute paths. */
  path: string;
  /** Lowercase hex SHA-256 of the file's bytes. */
  sha256: string;
}

export interface ModelManifest {
  format: typeof MANIFEST_FORMAT;
  formatVersion: typeof MANIFEST_FORMAT_VERSION;
  /** Package name: engines are stored under engines/<name>/. [a-z0-9._-]+ */
  name: string;
  family: ModelFamily;
  precision: Precision;
  image: {
    /** Encoder input side S: pixel_values is [1,3,S,S]. */
    size: number;
    resize: ResizeMode;
    /** Per channel (RGB), applied as (pixel / 255 - mean) / std. */
    mean: [number, number, number];
    std: [number, number, number];
  };
  tokenizer: {
    /** L: input_ids is [B,L]. */
    contextLength: number;
    padId: number;
    lowercase: boolean;
    /** Whether text_encoder takes an attention_mask input. */
    attentionMask: boolean;
  };
  dims: {
    /** C of image_embeddings [1,C,h,w] (256 for every SAM). */
    embeddingChannels: number;
    /** [h, w] of image_embeddings. */
    embeddingSize: [number, number];
    /** Whether image_encoder outputs high_res_feats_0 [1,32,4h,4w] and high_res_feats_1 [1,64,2h,2w]. */
    highResFeatures: boolean;
    /** D of text_embeds [B,D]. */
    textEmbedding: number;
    /** Width of prompt_embeds [B,N,P] (256). */
    promptEmbedding: number;
    /** N: prompt tokens per prompt in prompt_embeds. */
    promptTokens: number;
  };
  mask: {
    /** m: masks is [B,K,m,m]. */
    size: number;
    /** K: candidate masks per prompt (3). */
    candidates: number;
  };
  files: Record<PackageFileName, PackageFile>;
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
  mask_decoder: {
    inputs: ['image_embeddings', 'prompt_embeds'],
    highResInputs: ['high_res_feats_0', 'high_res_feats_1'],
    outputs: ['masks', 'iou_scores'],
  },
} as const;

export const GRAPH_NAMES: readonly GraphName[] = ['image_encoder', 'text_encoder', 'text_projection', 'mask_decoder'];
