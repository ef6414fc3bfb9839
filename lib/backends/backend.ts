import type { TokenBatch } from '../tokenizer.js';
import type { GraphName } from '../model/manifest-types.js';

/** A float32 tensor crossing the backend boundary. */
export interface FloatTensor {
  dims: number[];
  data: Float32Array;
}

/** The encoder's outputs for one image: image_embeddings and, for SAM2/SAM3, the high-res features. */
export type ImageFeatures = Record<string, FloatTensor>;

export interface DecoderOutput {
  /** Low-res logits [B, K, m, m]. */
  masks: FloatTensor;
  /** Predicted IoU [B, K]. */
  iouScores: FloatTensor;
}

export interface LoadProgress {
  stage: 'manifest' | 'tokenizer' | GraphName | 'ready';
  /** Stages finished so far, out of `total`. */
  loaded: number;
  total: number;
}

export interface GraphStats {
  runs: number;
  /** Sum of the time spent inside session runs, ms. */
  ms: number;
}

/** Raw session time per graph, added to by each run (ms). */
export type SessionTimes = Partial<Record<GraphName, number>>;

/** What every backend (ONNX Runtime on the CPU, TensorRT on the GPU) does for the segmenter. */
export interface Backend {
  readonly name: 'cpu' | 'tensorrt';
  /** Loads the four graphs; reports each as it is ready. */
  load(onProgress: (graph: GraphName) => void): Promise<void>;
  /** pixel_values [1,3,S,S] → features. May take ownership of the buffer. */
  encodeImage(pixelValues: Float32Array, times?: SessionTimes): Promise<ImageFeatures>;
  /** Token batch → prompt_embeds [B, N, P] (text tower + projection). */
  encodePrompts(tokens: TokenBatch, times?: SessionTimes): Promise<FloatTensor>;
  decode(features: ImageFeatures, promptEmbeds: FloatTensor, times?: SessionTimes): Promise<DecoderOutput>;
  stats(): Record<GraphName, GraphStats>;
  dispose(): Promise<void>;
}
