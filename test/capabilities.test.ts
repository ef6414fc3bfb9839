import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { capabilities, type CpuFeatures } from '../dist/index.js';
import { openvinoModuleExpected } from './support/openvino-module.js';

/** Each feature under the flag Linux's /proc/cpuinfo lists it as. */
const LINUX_FLAGS: Record<keyof CpuFeatures, string> = {
  avx2: 'avx2',
  fma: 'fma',
  avx512f: 'avx512f',
  avx512bw: 'avx512bw',
  avx512vl: 'avx512vl',
  avx512Vnni: 'avx512_vnni',
  avx512Bf16: 'avx512_bf16',
  avx512Fp16: 'avx512_fp16',
  amxTile: 'amx_tile',
  amxBf16: 'amx_bf16',
  amxInt8: 'amx_int8',
};

const x86 = process.arch === 'x64' || process.arch === 'ia32';

/** The first processor's flags in /proc/cpuinfo. */
function cpuinfoFlags(): Set<string> {
  const line = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('flags'));
  return new Set((line ?? '').replace(/^flags\s*:/, '').trim().split(/\s+/));
}

describe('capabilities()', () => {
  it('names the CPU and every feature', () => {
    const { cpu } = capabilities();
    expect(cpu.arch).toBe(process.arch);
    expect(Object.keys(cpu.features).sort()).toEqual(Object.keys(LINUX_FLAGS).sort());
    for (const value of Object.values(cpu.features)) expect(typeof value).toBe('boolean');
    const f = cpu.features;
    expect(!f.amxBf16 || f.amxTile).toBe(true);
    expect(!f.amxInt8 || f.amxTile).toBe(true);
    for (const ext of [f.avx512bw, f.avx512vl, f.avx512Vnni, f.avx512Bf16, f.avx512Fp16]) expect(!ext || f.avx512f).toBe(true);
    if (x86) {
      expect(cpu.vendor).toHaveLength(12); // CPUID's 'GenuineIntel', 'AuthenticAMD', …
    } else {
      expect(cpu.vendor).toBe('');
      expect(Object.values(cpu.features).every((v) => !v)).toBe(true);
    }
  });

  // The features are those the OS enables; Linux lists those and may list more (amx_* on a kernel
  // without AMX support, avx512f where the hypervisor leaves the ZMM state out), so each usable
  // feature is listed. AVX and what depends on it Linux drops where it does not use XSAVE, so
  // avx2 and fma are equal both ways.
  it.runIf(process.platform === 'linux' && x86)('agrees with /proc/cpuinfo', () => {
    const { features } = capabilities().cpu;
    const flags = cpuinfoFlags();
    expect(flags.size).toBeGreaterThan(0);
    for (const [name, flag] of Object.entries(LINUX_FLAGS) as [keyof CpuFeatures, string][]) {
      if (features[name]) expect(flags.has(flag), `${name} is usable but /proc/cpuinfo does not list ${flag}`).toBe(true);
    }
    expect(features.avx2).toBe(flags.has('avx2'));
    expect(features.fma).toBe(flags.has('fma'));
  });

  it('reports OpenVINO where its module is built, else why not', () => {
    const caps = capabilities();
    if (!openvinoModuleExpected()) {
      expect(caps.openvino).toBeNull();
      expect(caps.openvinoReason).toMatch(/OpenVINO/);
      return;
    }
    expect(caps.openvinoReason).toBeUndefined();
    const openvino = caps.openvino!;
    expect(openvino.version).toMatch(/^\d+\.\d+/);
    expect(openvino.device.length).toBeGreaterThan(0);
    expect(openvino.deviceCapabilities).toContain('FP32');
    expect(['bf16', 'f32']).toContain(openvino.bestPrecision);
    // Two readers of the same CPU: OpenVINO's plugin computes in BF16 wherever it has AMX-BF16 or
    // AVX-512 BF16 (it also may on CPUs with AVX2 BF16 conversions, which this list does not name).
    const f = caps.cpu.features;
    if (f.amxBf16 || f.avx512Bf16) expect(openvino.deviceCapabilities).toContain('BF16');
  });
});
