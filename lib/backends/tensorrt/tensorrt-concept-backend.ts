/**
 * The GPU backend of the sam3-concept family: the addon's TensorRtConceptPipeline running the three
 * engines of `npm run build-engines`. The FPN levels stay in device memory, one slot per cached
 * embedding, within a byte budget (least recently used slot freed first, re-encoded from its kept
 * resized pixels when asked for again), as in TensorRtBackend. With the tracker path each slot also
 * keeps the encoder's image_embeddings and high-res levels, which points and boxes read through
 * runOnFeatures (device-slots.ts).
 */
import { Sam3ClipError } from '../../errors.js';
import { graphNames, isConceptManifest, type GraphName } from '../../model/manifest-types.js';
import type { TensorRtConceptPipeline } from '../../native.js';
import { native } from '../../native.js';
import type { TokenBatch } from '../../tokenizer.js';
import type { ConceptDeviceBackend, DeviceDetectRequest, DeviceDetection, DeviceFeatures, SessionTimes } from '../backend.js';
import { asSam3ClipError, DeviceSlotBackend } from './device-slots.js';

export class TensorRtConceptBackend extends DeviceSlotBackend<TensorRtConceptPipeline> implements ConceptDeviceBackend {
  readonly pipelineKind = 'sam3-concept' as const;

  async load(onProgress: (graph: GraphName) => void): Promise<void> {
    const addon = native();
    if (!addon.TensorRtConceptPipeline)
      throw new Sam3ClipError('E_BACKEND_UNAVAILABLE', 'This build of the native addon has no TensorRT support for the sam3-concept family');
    const m = this.pkg.manifest;
    if (!isConceptManifest(m))
      throw new Sam3ClipError('E_BACKEND_UNAVAILABLE', `This TensorRT pipeline runs the sam3-concept family; ${m.name} is ${m.family}`);
    const tracker = m.tracker;
    const interactive = tracker ? this.interactiveEngineFiles() : undefined;
    try {
      this.pipeline = await addon.TensorRtConceptPipeline.open({
        ...this.baseConfig(),
        detector: this.engineFile('detector'),
        textFeatures: m.dims.textFeatures,
        queries: m.dims.queries,
        // The encoder has the tracker's outputs whenever the package has the path, engines or not.
        ...(tracker
          ? {
              tracker: {
                embedChannels: tracker.embeddingChannels,
                embedH: tracker.embeddingSize[0],
                embedW: tracker.embeddingSize[1],
                maskSize: tracker.maskSize,
                candidates: tracker.candidates,
              },
            }
          : {}),
        ...(interactive ?? {}),
      });
    } catch (error) {
      throw asSam3ClipError(error);
    }
    for (const g of graphNames(this.pkg.manifest)) onProgress(g);
  }

  async detectOnDevice(features: DeviceFeatures, tokens: TokenBatch, request: DeviceDetectRequest, times?: SessionTimes): Promise<DeviceDetection> {
    const own = this.ownFeatures(features);
    const pipeline = this.live();
    this.checkBatch(pipeline, tokens.batch);
    const slot = await this.makeResident(own, times);
    const [originalH, originalW] = request.originalHw;
    let out;
    try {
      out = await pipeline.detect(
        slot,
        tokens.ids,
        tokens.attentionMask,
        tokens.batch,
        request.threshold,
        request.maxInstances,
        request.maskThreshold,
        request.smoothness,
        originalH,
        originalW,
        Math.max(0, Math.min(2 ** 31 - 1, Math.floor(request.maxMasks))),
      );
    } catch (error) {
      throw asSam3ClipError(error);
    }
    this.count('text_encoder', out.times.textEncoder, times);
    this.count('detector', out.times.detector, times);
    const Q = this.pkg.manifest.family === 'sam3-concept' ? this.pkg.manifest.dims.queries : 0;
    const pixels = originalH * originalW;
    let first = 0;
    const prompts = Array.from({ length: tokens.batch }, (_, b) => {
      const count = out.counts[b]!;
      const kept = out.kept.subarray(first, first + count);
      const masks = out.masksSkipped
        ? []
        : Array.from({ length: count }, (_, i) => out.masks.subarray((first + i) * pixels, (first + i + 1) * pixels));
      first += count;
      return {
        logits: out.logits.subarray(b * Q, (b + 1) * Q),
        boxes: out.boxes.subarray(b * Q * 4, (b + 1) * Q * 4),
        presenceLogit: out.presence[b]!,
        kept,
        masks,
      };
    });
    return { prompts, masksSkipped: out.masksSkipped };
  }
}
