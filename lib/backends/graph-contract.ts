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
  switch (graph) {
    case 'image_encoder':
      return { inputs: { pixel_values: [1, 3, S, S] }, outputs: fpn };
    case 'text_encoder':
      return { inputs: tokens, outputs: { text_features: [null, L, m.dims.textFeatures] } };
    case 'detector':
      return {
        inputs: { ...fpn, text_features: [null, L, m.dims.textFeatures], attention_mask: [null, L] },
        outputs: {
          pred_logits: [null, Q],
          pred_boxes: [null, Q, 4],
          pred_masks: [null, Q, m.mask.size, m.mask.size],
          presence_logits: [null, 1],
        },
      };
    default:
      throw new Error(`graph ${graph} is not part of the sam3-concept family`);
  }
}

function trackerIo(graph: GraphName, m: TrackerManifest): GraphIo {
  const S = m.image.size;
  const [h, w] = m.dims.embeddingSize;
  const C = m.dims.embeddingChannels;
  const highRes: Record<string, Dim[]> = m.dims.highResFeatures
    ? { high_res_feats_0: [1, 32, 4 * h, 4 * w], high_res_feats_1: [1, 64, 2 * h, 2 * w] }
    : {};
  const K = m.mask.candidates;
  const P = m.dims.promptEmbedding;
  switch (graph) {
    case 'image_encoder':
      return { inputs: { pixel_values: [1, 3, S, S] }, outputs: { image_embeddings: [1, C, h, w], ...highRes } };
    case 'text_encoder': {
      const ids = [null, m.tokenizer.contextLength];
      return {
        inputs: { input_ids: ids, ...(m.tokenizer.attentionMask ? { attention_mask: ids } : {}) },
        outputs: { text_embeds: [null, m.dims.textEmbedding] },
      };
    }
    case 'text_projection':
      return {
        inputs: { text_embeds: [null, m.dims.textEmbedding] },
        outputs: { prompt_embeds: [null, m.dims.promptTokens, P] },
      };
    case 'mask_decoder':
      return {
        inputs: { image_embeddings: [1, C, h, w], ...highRes, prompt_embeds: [null, null, P] },
        outputs: { masks: [null, K, m.mask.size, m.mask.size], iou_scores: [null, K] },
      };
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
