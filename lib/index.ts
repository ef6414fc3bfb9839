// The declarations use Node's types (Buffer, EventEmitter, Symbol.dispose): this directive makes a
// consumer's compiler load @types/node for them, also where its `types` list is empty (TypeScript 6+).
/// <reference types="node" preserve="true" />
export { createSegmenter, Segmenter } from './segmenter.js';
export type { SegmentResult, SegmentInstance, SegmenterStats, Box, Point, Prompt, PromptObject } from './segmenter.js';
export { ImageEmbedding } from './image-embedding.js';
export type { Suggestion, SuggestOptions } from './suggestions/suggest.js';
export { COCO_CATEGORIES } from './vocabularies/coco.js';
export type { ImageInput, RawImage } from './image/image-input.js';
export type { SegmenterOptions, SegmentOptions, CacheOptions, BackendChoice, InferencePrecision, StageTimings } from './options.js';
export type { LoadProgress, BackendName } from './backends/backend.js';
export type { OpenVinoGraphLoad } from './backends/openvino/openvino-backend.js';
export type { Mask, BBox } from './mask.js';
export { Sam3ClipError, isSam3ClipError } from './errors.js';
export type { ErrorCode } from './errors.js';
export { maskToPng, renderOverlay, MASK_COLOURS } from './render.js';
export type { OverlayOptions, OverlayFormat } from './render.js';
export { capabilities } from './native.js';
export { loadModelPackage, validateManifest } from './model/manifest.js';
export type { ModelManifest, PromptPath } from './model/manifest-types.js';
export { PromptTokenizer } from './tokenizer.js';
export { resultToJson } from './result-json.js';
export type { SegmentResultJson } from './result-json.js';
export { buildEngines } from './engines/build-engines.js';
export type { BuildEnginesOptions, BuildEnginesResult } from './engines/build-engines.js';
export type { BuildProgress } from './engines/progress-bar.js';
export type { EngineMetadata } from './engines/engine-metadata.js';
export type { Capabilities, CpuFeatures, CpuInfo, CudaDevice, OpenVinoCapability } from './native.js';
