import type { GraphName } from '../../model/manifest-types.js';

/** Tensors as they cross the thread boundary. Float data may sit on a SharedArrayBuffer. */
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
      /** Copy float outputs into SharedArrayBuffers so they can be fed back without copies. */
      shareOutputs: boolean;
    };

export type WorkerResponse =
  | { id: number; ok: true; metadata: GraphMetadata }
  | { id: number; ok: true; outputs: Record<string, WireTensor>; ms: number }
  | { id: number; ok: false; error: { message: string; code: string } };
