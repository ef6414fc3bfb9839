/**
 * Loads the OpenVINO backend's module (sam3clip_openvino.node), a separate addon beside the main
 * one: build/Release/ in a checkout, prebuilds/<platform>-<arch>/openvino/ in the package, each with
 * the OpenVINO runtime libraries next to it. Where it is absent or does not load (another CPU or
 * platform, an old glibc), the library runs on ONNX Runtime and says why.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface OpenVinoTensorInfo {
  /** One of names: an input's own; where a graph's names matter, pick from names. */
  name: string;
  /** Every name the tensor goes by (OpenVINO merges the names of tensors it folds together). */
  names: string[];
  /** '?' for a dynamic axis. */
  shape: (number | string)[];
  /** OpenVINO's element type name: 'f32', 'i64', … */
  type: string;
}

export interface OpenVinoFeed {
  dims: number[];
  data: Float32Array | BigInt64Array;
}

/** One compiled graph (native/openvino/compiled_graph.h). */
export interface OpenVinoGraph {
  readonly inputs: OpenVinoTensorInfo[];
  readonly outputs: OpenVinoTensorInfo[];
  /** What the plugin computes in: 'bf16' or 'f32'. */
  readonly inferencePrecision: string;
  /** Imported from the compiled-blob cache instead of compiled. */
  readonly fromCache: boolean;
  /** Why the blob was not used or written; '' when it was or none was asked for. */
  readonly cacheNote: string;
  /** feeds keyed by any of an input's names; outputs in the order of `outputs`. */
  run(feeds: Record<string, OpenVinoFeed>): Promise<{ outputs: { type: 'float32'; dims: number[]; data: Float32Array }[]; ms: number }>;
  close(): void;
}

export interface OpenVinoAddon {
  readonly version: string;
  openvinoVersion(): string;
  cpuDevice(): { name: string; capabilities: string[]; bestPrecision: 'bf16' | 'f32' };
  OpenVinoGraph: {
    compile(file: string, options: { precision: 'bf16' | 'f32'; threads?: number; blobPath?: string }): Promise<OpenVinoGraph>;
  };
}

const packageRoot = path.resolve(__dirname, '..');

export type OpenVinoDevice = ReturnType<OpenVinoAddon['cpuDevice']>;

let loaded: { addon?: OpenVinoAddon; device?: OpenVinoDevice; reason?: string } | undefined;

/** Where the module may be, best first. */
function candidates(): string[] {
  const list = [path.join(packageRoot, 'build', 'Release', 'sam3clip_openvino.node')];
  list.push(path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, 'openvino', 'sam3clip_openvino.node'));
  return list;
}

/**
 * The OpenVINO module and its CPU device, or why there is none here. Loaded once; its failure is
 * remembered, and so is the device (it does not change while the process runs).
 */
export function openvinoAddon(): { addon?: OpenVinoAddon; device?: OpenVinoDevice; reason?: string } {
  if (loaded) return loaded;
  if (process.env.SAM3CLIP_OPENVINO === '0') return (loaded = { reason: 'SAM3CLIP_OPENVINO=0 turns the OpenVINO backend off' });
  const file = candidates().find((f) => existsSync(f));
  if (!file) {
    loaded = {
      reason:
        process.platform === 'linux' && process.arch === 'x64'
          ? 'this installation has no OpenVINO backend (it is built where the openvino wheel could be fetched: npm run build:native)'
          : `the OpenVINO backend is built for x86-64 Linux, not ${process.platform}-${process.arch}`,
    };
    return loaded;
  }
  try {
    const addon = require(file) as OpenVinoAddon;
    // Loads the CPU plugin now, so a broken runtime is found here, not mid-call.
    loaded = { addon, device: addon.cpuDevice() };
  } catch (cause) {
    loaded = { reason: `the OpenVINO backend did not load (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)})` };
  }
  return loaded;
}
