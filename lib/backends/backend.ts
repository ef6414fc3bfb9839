import type { TokenBatch } from '../tokenizer.js';
import type { GraphName } from '../model/manifest-types.js';

/** A float32 tensor crossing the backend boundary. */
export interface FloatTensor {
  dims: number[];
  data: Float32Array;
}

/** A tensor fed to a graph on a host backend. */
export interface HostTensor {
  type: 'float32' | 'int64';
  dims: number[];
  data: Float32Array | BigInt64Array;
}

/** The encoder's outputs for one image, by output name (the family's contract says which). */
export type ImageFeatures = Record<string, FloatTensor>;

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

/** 'cpu' is ONNX Runtime on the CPU (the portable default); 'openvino' OpenVINO on x86 CPUs. */
export type BackendName = 'cpu' | 'openvino' | 'tensorrt';

/** What every backend does for the segmenter. */
interface BackendBase {
  readonly name: BackendName;
  /** Loads the package family's graphs; reports each as it is ready. */
  load(onProgress: (graph: GraphName) => void): Promise<void>;
  /** Runs per graph (graphs the family lacks show zero). */
  stats(): Record<GraphName, GraphStats>;
  dispose(): Promise<void>;
}

/**
 * A backend whose tensors live in host memory (ONNX Runtime on the CPU): it runs graphs, and the
 * model family (lib/families/) normalizes, caches, feeds and post-processes around those runs.
 */
export interface HostBackend extends BackendBase {
  readonly kind: 'host';
  /** pixel_values [1,3,S,S] → every output of image_encoder. May take ownership of the buffer. */
  encodeImage(pixelValues: Float32Array, times?: SessionTimes): Promise<ImageFeatures>;
  /** One run of a loaded graph: float32 outputs by name. */
  run(graph: GraphName, feeds: Record<string, HostTensor>, times?: SessionTimes): Promise<Record<string, FloatTensor>>;
}

/** Image features held in device memory; released with the embedding that owns them. */
export interface DeviceFeatures {
  readonly kind: 'device';
  readonly byteLength: number;
  release(): void;
}

export interface DeviceSegmentRequest {
  threshold: number;
  /** k of the morphological close (1 = none). */
  smoothness: number;
  resizedHw: [number, number];
  originalHw: [number, number];
}

/** Per prompt: the final mask (original size, smoothed), the candidates' IoU, the choice. */
export interface DeviceSegmentation {
  masks: Uint8Array[];
  iou: Float32Array;
  index: Int32Array;
  passed: Uint8Array;
}

/** The interactive path's graphs (points and boxes). */
export type InteractiveGraphName = 'prompt_encoder' | 'mask_decoder';

/** What every device backend does: image features normalized, encoded and kept on the device. */
interface DeviceBackendBase extends BackendBase {
  readonly kind: 'device';
  /** rgb: the resized image (HWC, width × height × 3), normalized on the device. */
  encodeImageRgb(rgb: Uint8Array, width: number, height: number, times?: SessionTimes): Promise<DeviceFeatures>;
  /**
   * One run of an interactive graph with the image's device features bound to its image inputs
   * (the mask decoder's image_embeddings and high-res levels); `feeds` (points and labels, or the
   * prompt tokens) come from the host and the outputs go back to it. Absent where the engines lack
   * the interactive graphs.
   */
  runOnFeatures?(
    features: DeviceFeatures,
    graph: InteractiveGraphName,
    feeds: Record<string, HostTensor>,
    times?: SessionTimes,
  ): Promise<Record<string, FloatTensor>>;
}

/**
 * The tracker families' device backend (TensorRT): normalization, the three prompt-path graphs,
 * selection, post-processing and smoothing happen in one call, and only the final masks come back.
 */
export interface TrackerDeviceBackend extends DeviceBackendBase {
  readonly pipelineKind: 'tracker';
  segmentOnDevice(features: DeviceFeatures, tokens: TokenBatch, request: DeviceSegmentRequest, times?: SessionTimes): Promise<DeviceSegmentation>;
}

export interface DeviceDetectRequest {
  /** On σ(logit)·σ(presence), compared with `>`. */
  threshold: number;
  maxInstances: number;
  /** On σ(mask logit). */
  maskThreshold: number;
  /** k of the per-instance close (1 = none). */
  smoothness: number;
  originalHw: [number, number];
  /** Instance masks the call may make; more kept queries than this and none are made (masksSkipped). */
  maxMasks: number;
}

/** One prompt's detector outputs and its kept instances. */
export interface DeviceDetectionPrompt {
  /** Q detector logits, Q × 4 boxes (xyxy, 0–1), the presence logit. */
  logits: Float32Array;
  boxes: Float32Array;
  presenceLogit: number;
  /** The kept queries, best first. */
  kept: Int32Array;
  /** One mask per kept query (original size, smoothed); empty when masksSkipped. */
  masks: Uint8Array[];
}

export interface DeviceDetection {
  prompts: DeviceDetectionPrompt[];
  masksSkipped: boolean;
}

/**
 * The sam3-concept device backend (TensorRT): text encoder and detector on the device, the kept
 * queries picked from the small tensors, their masks post-processed and smoothed on the device.
 */
export interface ConceptDeviceBackend extends DeviceBackendBase {
  readonly pipelineKind: 'sam3-concept';
  detectOnDevice(features: DeviceFeatures, tokens: TokenBatch, request: DeviceDetectRequest, times?: SessionTimes): Promise<DeviceDetection>;
}

/** A backend that keeps image features on the device and runs a family's prompt path there. */
export type DeviceBackend = TrackerDeviceBackend | ConceptDeviceBackend;

export type Backend = HostBackend | DeviceBackend;
