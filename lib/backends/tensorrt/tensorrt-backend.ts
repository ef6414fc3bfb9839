/**
 * The GPU backend: the addon's TensorRtPipeline running the engines of `npm run build-engines`.
 * Image features stay in device memory, one slot per cached embedding, within a byte budget:
 * when a new image would exceed it, the least recently used slot is freed and re-encoded from
 * its kept resized pixels if it is asked for again. Points and boxes run through runOnFeatures
 * (device-slots.ts) on the same decoder, where the engine folder has the prompt encoder.
 */
import { Sam3ClipError } from '../../errors.js';
import { graphNames, isConceptManifest, textPathSpec, type GraphName, type TrackerManifest } from '../../model/manifest-types.js';
import type { TensorRtPipeline, TensorRtPipelineConfig } from '../../native.js';
import { native } from '../../native.js';
import type { TokenBatch } from '../../tokenizer.js';
import type { TrackerDeviceBackend, DeviceFeatures, DeviceSegmentation, DeviceSegmentRequest, SessionTimes } from '../backend.js';
import { asSam3ClipError, DeviceSlotBackend } from './device-slots.js';

export type { TensorRtBackendOptions } from './device-slots.js';

export class TensorRtBackend extends DeviceSlotBackend<TensorRtPipeline> implements TrackerDeviceBackend {
  readonly pipelineKind = 'tracker' as const;

  async load(onProgress: (graph: GraphName) => void): Promise<void> {
    const addon = native();
    if (!addon.TensorRtPipeline)
      throw new Sam3ClipError('E_BACKEND_UNAVAILABLE', 'This build of the native addon has no TensorRT support');
    const m = this.pkg.manifest;
    // selectBackend sends sam3-concept packages to TensorRtConceptBackend.
    if (isConceptManifest(m))
      throw new Sam3ClipError('E_BACKEND_UNAVAILABLE', `This TensorRT pipeline runs the tracker families; ${m.name} is sam3-concept`);
    const trackerManifest: TrackerManifest = m;
    // selectBackend keeps packages without the text path on the CPU.
    const text = textPathSpec(m);
    const interactive = this.interactiveEngineFiles();
    const config: TensorRtPipelineConfig = {
      ...this.baseConfig(),
      textProjection: this.engineFile('text_projection'),
      maskDecoder: this.engineFile('mask_decoder'),
      ...(interactive ? { promptEncoder: interactive.promptEncoder } : {}),
      highResFeatures: trackerManifest.dims.highResFeatures,
      attentionMask: text.tokenizer.attentionMask,
      textDim: text.textEmbedding,
      promptTokens: text.promptTokens,
      promptDim: trackerManifest.dims.promptEmbedding,
      candidates: trackerManifest.mask.candidates,
    };
    try {
      this.pipeline = await addon.TensorRtPipeline.open(config);
    } catch (error) {
      throw asSam3ClipError(error);
    }
    for (const g of graphNames(this.pkg.manifest)) onProgress(g);
  }

  async segmentOnDevice(
    features: DeviceFeatures,
    tokens: TokenBatch,
    request: DeviceSegmentRequest,
    times?: SessionTimes,
  ): Promise<DeviceSegmentation> {
    const own = this.ownFeatures(features);
    const pipeline = this.live();
    this.checkBatch(pipeline, tokens.batch);
    const slot = await this.makeResident(own, times);
    const [resizedH, resizedW] = request.resizedHw;
    const [originalH, originalW] = request.originalHw;
    let out;
    try {
      out = await pipeline.segment(
        slot,
        tokens.ids,
        textPathSpec(this.pkg.manifest).tokenizer.attentionMask ? tokens.attentionMask : null,
        tokens.batch,
        request.threshold,
        request.smoothness,
        resizedH,
        resizedW,
        originalH,
        originalW,
      );
    } catch (error) {
      throw asSam3ClipError(error);
    }
    this.count('text_encoder', out.times.textEncoder, times);
    this.count('text_projection', out.times.textProjection, times);
    this.count('mask_decoder', out.times.maskDecoder, times);
    const pixels = originalH * originalW;
    const masks = Array.from({ length: tokens.batch }, (_, b) => out.masks.subarray(b * pixels, (b + 1) * pixels));
    return { masks, iou: out.iou, index: out.index, passed: out.passed };
  }
}
