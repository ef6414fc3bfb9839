/**
 * The machine beside the figures: CPU, cores, memory, the CPU extensions that decide BF16 speed
 * (AMX, AVX-512 BF16/VNNI, AVX2) and the runtimes' versions. capabilities() reports the CPU and
 * OpenVINO where this build has them; otherwise /proc/cpuinfo and the OpenVINO module say it.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The extensions shown, as /proc/cpuinfo spells them, with capabilities().cpu.features' names. */
const FEATURES = [
  ['amx_bf16', 'amxBf16'],
  ['amx_int8', 'amxInt8'],
  ['avx512_bf16', 'avx512Bf16'],
  ['avx512_vnni', 'avx512Vnni'],
  ['avx512f', 'avx512f'],
  ['avx2', 'avx2'],
] as const;

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  /** Each extension: whether the CPU has it. */
  features: Record<string, boolean>;
  featuresFrom: 'capabilities()' | '/proc/cpuinfo';
  openvino: string | null;
  openvinoNote?: string;
  onnxruntime: string;
  node: string;
}

interface CapabilitiesLike {
  cpu?: { brand?: string; features?: Record<string, boolean> };
  openvino?: { version: string } | null;
  openvinoReason?: string;
}

function cpuinfoFlags(): Set<string> {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    return new Set(line?.split(':')[1]?.trim().split(/\s+/) ?? []);
  } catch {
    return new Set();
  }
}

export function machineInfo(dist: string): MachineInfo {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const caps = (require(`${dist}/index.js`).capabilities as () => CapabilitiesLike)();
  let features: Record<string, boolean>;
  let featuresFrom: MachineInfo['featuresFrom'];
  if (caps.cpu?.features) {
    features = Object.fromEntries(FEATURES.map(([flag, key]) => [flag, caps.cpu!.features![key] === true]));
    featuresFrom = 'capabilities()';
  } else {
    const flags = cpuinfoFlags();
    features = Object.fromEntries(FEATURES.map(([flag]) => [flag, flags.has(flag)]));
    featuresFrom = '/proc/cpuinfo';
  }
  let openvino: string | null = null;
  let openvinoNote: string | undefined;
  if (caps.openvino !== undefined) {
    openvino = caps.openvino?.version ?? null;
    openvinoNote = caps.openvinoReason;
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = (require(`${dist}/openvino-addon.js`).openvinoAddon as () => { addon?: { openvinoVersion(): string }; reason?: string })();
    openvino = loaded.addon?.openvinoVersion() ?? null;
    openvinoNote = loaded.reason;
  }
  return {
    cpu: caps.cpu?.brand || os.cpus()[0]?.model || 'unknown CPU',
    cores: os.availableParallelism(),
    memoryGiB: os.totalmem() / 2 ** 30,
    features,
    featuresFrom,
    openvino,
    ...(openvinoNote ? { openvinoNote } : {}),
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    onnxruntime: (require('onnxruntime-node/package.json') as { version: string }).version,
    node: process.version,
  };
}
