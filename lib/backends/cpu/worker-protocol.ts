import type { GraphName } from '../../model/manifest-types.js';

/**
 * Tensors as they cross the thread boundary, on ordinary ArrayBuffers: V8 counts those toward its
 * heap limits, so features of images no longer used are collected. (SharedArrayBuffers were not
 * counted: RSS grew without a ceiling over many distinct images.)
 */
export interface WireTensor {
  type: 'float32' | 'int64';
  dims: number[];
  data: Float32Array | BigInt64Array;
}

export interface GraphMetadata {
  inputs: { name: string; shape: (number | string)[] }[];
  outputs: { name: string; shape: (number | string)[] }[];
}

export type WorkerRequest =
  | { id: number; op: 'load'; graph: GraphName; file: string; threads: number }
  | {
      id: number;
      op: 'run';
      graph: GraphName;
      feeds: Record<string, WireTensor>;
    };

export type WorkerResponse =
  | { id: number; ok: true; metadata: GraphMetadata }
  | { id: number; ok: true; outputs: Record<string, WireTensor>; ms: number }
  | { id: number; ok: false; error: { message: string; code: string } };
