import { Sam3ClipError } from './errors.js';
import type { DeviceFeatures, ImageFeatures } from './backends/backend.js';

/** Host tensors (CPU backend) or a device slot (TensorRT backend). */
export type EmbeddingFeatures = ImageFeatures | DeviceFeatures;

export function isDeviceFeatures(f: EmbeddingFeatures): f is DeviceFeatures {
  return (f as DeviceFeatures).kind === 'device';
}

/** Geometry the post-processing needs to map masks back onto the original image. */
export interface EmbeddingGeometry {
  width: number;
  height: number;
  resizedHw: [number, number];
}

/**
 * A handle on an image's encoder outputs. Pass it to `segment()` instead of the image to skip the
 * encoder; `dispose()` releases the memory it holds (so does `using` where the runtime has it: Node ≥ 24,
 * or TypeScript compiling `using` down for older targets).
 */
export class ImageEmbedding {
  /** Upright size of the original image. */
  readonly width: number;
  readonly height: number;
  /** @internal */
  readonly resizedHw: [number, number];
  /** @internal content key of the source image */
  readonly key: string;
  /** @internal the segmenter that made it */
  readonly owner: object;
  /** @internal true once embed() handed it to a caller: the cache then never disposes it. */
  heldByCaller = false;
  private features: EmbeddingFeatures | null;
  private readonly onDispose: () => void;

  /** @internal */
  constructor(owner: object, key: string, geometry: EmbeddingGeometry, features: EmbeddingFeatures, onDispose: () => void) {
    this.owner = owner;
    this.key = key;
    this.width = geometry.width;
    this.height = geometry.height;
    this.resizedHw = geometry.resizedHw;
    this.features = features;
    this.onDispose = onDispose;
  }

  get disposed(): boolean {
    return this.features === null;
  }

  /** Bytes held by the encoder outputs (host memory, or device memory on the GPU backend). */
  get byteLength(): number {
    if (!this.features) return 0;
    if (isDeviceFeatures(this.features)) return this.features.byteLength;
    return Object.values(this.features).reduce((sum, t) => sum + t.data.byteLength, 0);
  }

  /** @internal */
  getFeatures(): EmbeddingFeatures {
    if (!this.features) throw new Sam3ClipError('E_DISPOSED', 'This ImageEmbedding has been disposed');
    return this.features;
  }

  dispose(): void {
    if (!this.features) return;
    const features = this.features;
    this.features = null;
    if (isDeviceFeatures(features)) features.release();
    this.onDispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
