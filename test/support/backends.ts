/**
 * The host backends every public-API suite runs on: ONNX Runtime, and OpenVINO in FP32 and (where
 * the CPU has it) BF16 wherever its module is built. With SAM3CLIP_REQUIRE_OPENVINO=1 (.ci/run sets
 * it) a missing OpenVINO backend fails test/openvino-backend.test.ts instead of shrinking this list.
 */
import { openvinoAddon } from '../../dist/openvino-addon.js';
import type { SegmenterOptions } from '../../dist/index.js';

/** How far a backend may stray from the PyTorch references (stated in README "Fidelity"). */
export interface Fidelity {
  /** Tracker families: each candidate's predicted IoU. */
  iou: number;
  /** Tracker families: share of pixels equal to the reference mask. */
  agreement: number;
  /** sam3-concept: instance scores and presence. */
  score: number;
  /** sam3-concept: box corners, px. */
  boxPx: number;
  /** sam3-concept: each instance's mask IoU; clicks: each candidate's mask IoU. */
  maskIou: number;
  /** Points and boxes (the interactive path): each candidate's predicted IoU. */
  clickIou: number;
}

export interface HostBackendCase {
  label: string;
  options: Pick<SegmenterOptions, 'backend' | 'inferencePrecision'>;
  fidelity: Fidelity;
}

const FP32: Fidelity = { iou: 1e-3, agreement: 0.999, score: 1e-4, boxPx: 1, maskIou: 0.99, clickIou: 1e-4 };
// Measured on the committed tiny packages (random weights, which amplify rounding more than trained
// ones): predicted IoU within 3.4e-3, masks ≥ 99.3% equal; instance scores within 0.013, boxes within
// 3.5 px, mask IoU ≥ 0.96; clicks on the tracker graphs (whose random IoU head is scaled ×40 so the
// candidates' IoUs differ) within 0.025, candidate masks IoU ≥ 0.95. The bounds leave room for another
// CPU's BF16 kernels.
export const BF16: Fidelity = { iou: 0.01, agreement: 0.98, score: 0.03, boxPx: 6, maskIou: 0.93, clickIou: 0.05 };

const { addon: openvino, device } = openvinoAddon();

export const HOST_BACKENDS: HostBackendCase[] = [
  { label: 'ONNX Runtime', options: { backend: 'cpu' }, fidelity: FP32 },
  ...(openvino
    ? [
        { label: 'OpenVINO FP32', options: { backend: 'openvino' as const, inferencePrecision: 'fp32' as const }, fidelity: FP32 },
        ...(device!.bestPrecision === 'bf16'
          ? [{ label: 'OpenVINO BF16', options: { backend: 'openvino' as const, inferencePrecision: 'bf16' as const }, fidelity: BF16 }]
          : []),
      ]
    : []),
];

/** The backends for suites that check behaviour, not numbers: each engine once (OpenVINO at its default precision). */
export const BEHAVIOUR_BACKENDS: HostBackendCase[] = [
  HOST_BACKENDS[0]!,
  ...(openvino ? [{ label: 'OpenVINO', options: { backend: 'openvino' as const }, fidelity: BF16 }] : []),
];

/** What 'auto' picks without a GPU: OpenVINO where its module loads, else ONNX Runtime. */
export const AUTO_CPU_BACKEND = openvino ? 'openvino' : 'cpu';
