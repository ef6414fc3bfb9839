import { Sam3ClipError } from '../errors.js';
import { isConceptManifest, type ConceptManifest, type GraphName, type ModelManifest, type TrackerManifest } from '../model/manifest-types.js';
import type { GraphMetadata } from './cpu/worker-protocol.js';

type Dim = number | string | null;

type GraphIo = { inputs: Record<string, Dim[]>; outputs: Record<string, Dim[]> };

/** The I/O each graph must have, from the manifest: a string or null is a free (dynamic) axis. */
export function expectedIo(graph: GraphName, m: ModelManifest): GraphIo {
  return isConceptManifest(m) ? conceptIo(graph, m) : trackerIo(graph, m);
}

/** sam3-concept: image encoder → three FPN levels; text encoder → per-token features; detector. */
function conceptIo(graph: GraphName, m: ConceptManifest): GraphIo {
  const S = m.image.size;
  const [h, w] = m.dims.embeddingSize;
  const C = m.dims.embeddingChannels;
  const L = m.tokenizer.contextLength;
  const Q = m.dims.queries;
  const fpn: Record<string, Dim[]> = { fpn_feats_0: [1, C, 4 * h, 4 * w], fpn_feats_1: [1, C, 2 * h, 2 * w], fpn_feats_2: [1, C, h, w] };
  const tokens = { input_ids: [null, L], attention_mask: [null, L] };
  const detectorOutputs = {
    pred_logits: [null, Q],
    pred_boxes: [null, Q, 4],
    pred_masks: [null, Q, m.mask.size, m.mask.size],
    presence_logits: [null, 1],
  };
  const tracker = m.tracker && {
    C: m.tracker.embeddingChannels,
    embeddingSize: m.tracker.embeddingSize,
    maskSize: m.tracker.maskSize,
    candidates: m.tracker.candidates,
  };
  switch (graph) {
    case 'image_encoder':
      return {
        inputs: { pixel_values: [1, 3, S, S] },
        outputs: { ...fpn, ...(tracker ? interactiveImageOutputs(tracker.C, tracker.embeddingSize) : {}) },
      };
    case 'text_encoder':
      return { inputs: tokens, outputs: { text_features: [null, L, m.dims.textFeatures] } };
    case 'detector':
      return { inputs: { ...fpn, text_features: [null, L, m.dims.textFeatures], attention_mask: [null, L] }, outputs: detectorOutputs };
    case 'detector_boxes':
      return {
        inputs: {
          ...fpn,
          text_features: [null, L, m.dims.textFeatures],
          attention_mask: [null, L],
          input_boxes: [null, null, 4],
          input_boxes_labels: [null, null],
        },
        outputs: detectorOutputs,
      };
    case 'prompt_encoder':
    case 'mask_decoder':
      if (!tracker) throw new Error(`graph ${graph} needs the manifest's tracker object`);
      return interactiveIo(graph, tracker.C, tracker.embeddingSize, tracker.C, tracker.maskSize, tracker.candidates, true);
    default:
      throw new Error(`graph ${graph} is not part of the sam3-concept family`);
  }
}

/** The tracker's image features: the mask decoder's image_embeddings and its two high-resolution levels. */
function interactiveImageOutputs(C: number, [h, w]: [number, number], highRes = true): Record<string, Dim[]> {
  return {
    image_embeddings: [1, C, h, w],
    ...(highRes ? { high_res_feats_0: [1, 32, 4 * h, 4 * w], high_res_feats_1: [1, 64, 2 * h, 2 * w] } : {}),
  };
}

/** The prompt encoder of points and boxes, and the SAM mask decoder taking any number of prompt tokens. */
function interactiveIo(
  graph: 'prompt_encoder' | 'mask_decoder',
  C: number,
  embeddingSize: [number, number],
  P: number,
  maskSize: number,
  K: number,
  highRes: boolean,
): GraphIo {
  if (graph === 'prompt_encoder')
    return { inputs: { input_points: [null, null, 2], input_labels: [null, null] }, outputs: { sparse_embeddings: [null, null, P] } };
  return {
    inputs: { ...interactiveImageOutputs(C, embeddingSize, highRes), prompt_embeds: [null, null, P] },
    outputs: { masks: [null, K, maskSize, maskSize], iou_scores: [null, K] },
  };
}

function trackerIo(graph: GraphName, m: TrackerManifest): GraphIo {
  const S = m.image.size;
  const [h, w] = m.dims.embeddingSize;
  const C = m.dims.embeddingChannels;
  const K = m.mask.candidates;
  const P = m.dims.promptEmbedding;
  const text = () => {
    if (!m.tokenizer || m.dims.textEmbedding === undefined || m.dims.promptTokens === undefined)
      throw new Error(`graph ${graph} is part of the text path, which ${m.name} does not have`);
    return { tokenizer: m.tokenizer, D: m.dims.textEmbedding, N: m.dims.promptTokens };
  };
  switch (graph) {
    case 'image_encoder':
      return { inputs: { pixel_values: [1, 3, S, S] }, outputs: interactiveImageOutputs(C, [h, w], m.dims.highResFeatures) };
    case 'text_encoder': {
      const { tokenizer, D } = text();
      const ids = [null, tokenizer.contextLength];
      return {
        inputs: { input_ids: ids, ...(tokenizer.attentionMask ? { attention_mask: ids } : {}) },
        outputs: { text_embeds: [null, D] },
      };
    }
    case 'text_projection': {
      const { D, N } = text();
      return { inputs: { text_embeds: [null, D] }, outputs: { prompt_embeds: [null, N, P] } };
    }
    case 'prompt_encoder':
    case 'mask_decoder':
      return interactiveIo(graph, C, [h, w], P, m.mask.size, K, m.dims.highResFeatures);
    case 'image_tower': {
      // CLIP's image embedding lives in the text tower's space: the same width D.
      const { D } = text();
      const T = m.imageTower?.size;
      if (T === undefined) throw new Error(`graph image_tower needs the manifest's imageTower object`);
      return { inputs: { pixel_values: [1, 3, T, T] }, outputs: { image_embeds: [1, D] } };
    }
    default:
      throw new Error(`graph ${graph} is not part of the ${m.family} family`);
  }
}

function shapeError(graph: GraphName, file: string, field: string, message: string): Sam3ClipError {
  return new Sam3ClipError('E_MODEL_SHAPE', `${file} (files.${graph}): ${field}: ${message}`, { file, field });
}

function compare(graph: GraphName, file: string, field: string, actual: readonly (number | string)[], expected: Dim[]): void {
  // An empty shape means the graph does not declare one; the runtime check covers it.
  if (actual.length === 0) return;
  if (actual.length !== expected.length)
    throw shapeError(graph, file, field, `has rank ${actual.length}, the manifest implies [${expected.map((d) => d ?? '?').join(',')}]`);
  expected.forEach((want, i) => {
    const got = actual[i];
    if (want === null || typeof got === 'string' || got === -1) return;
    if (got !== want)
      throw shapeError(graph, file, `${field}[${i}]`, `is ${got}, the manifest implies ${want} ([${actual.join(',')}])`);
  });
}

/** Checks a loaded graph's declared inputs and outputs against the contract implied by the manifest. */
export function checkGraphMetadata(graph: GraphName, file: string, meta: GraphMetadata, m: ModelManifest): void {
  const want = expectedIo(graph, m);
  for (const [kind, list, expected] of [
    ['input', meta.inputs, want.inputs],
    ['output', meta.outputs, want.outputs],
  ] as const) {
    const names = list.map((v) => v.name);
    for (const name of Object.keys(expected)) {
      const found = list.find((v) => v.name === name);
      if (!found) throw shapeError(graph, file, name, `${kind} is missing (the graph has ${names.join(', ') || 'none'})`);
      compare(graph, file, name, found.shape, expected[name]!);
    }
    if (kind === 'input') {
      const extra = names.filter((n) => !(n in expected));
      if (extra.length) throw shapeError(graph, file, extra[0]!, `unexpected input; the contract feeds only ${Object.keys(expected).join(', ')}`);
    }
  }
}

/** Checks a tensor produced at run time (graphs may leave axes dynamic). */
export function checkRuntimeShape(graph: GraphName, file: string, name: string, dims: readonly number[], expected: Dim[]): void {
  compare(graph, file, name, dims, expected);
}
