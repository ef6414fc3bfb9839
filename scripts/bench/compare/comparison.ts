/**
 * One whole comparison: starts each backend's process in turn (one loading at a time, so no load
 * competes with another for the cores), measures them interleaved, collects each process's peak RSS
 * and stops them. The result is the document `bench:compare --json` prints.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BACKEND_IDS, BASELINE, launch, type BackendId, type LaunchOptions } from './backends.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { runComparison, type LiveBackend, type Measurements } from './run-comparison.js';
import { writeBenchImages, type BenchImages } from './test-images.js';

export interface BackendReport {
  id: BackendId;
  available: boolean;
  /** The backend's own account of itself (backendInfo.reason, the PyTorch version), or why it is unavailable. */
  reason: string;
  loadMs?: number;
  rssAfterLoadMiB?: number;
  peakRssMiB?: number;
  /** peak RSS ÷ PyTorch BF16's */
  peakRssRatio?: number | null;
}

export interface Comparison {
  machine: MachineInfo;
  torch?: { torch: string; transformers: string };
  package: { dir: string; name: string; family: string; precision: string };
  threads: number;
  runs: number;
  baseline: BackendId;
  images: { source: string; base: { width: number; height: number; megapixels: number }; large: { width: number; height: number; megapixels: number } };
  backends: BackendReport[];
  measurements: Measurements;
}

export interface CompareOptions extends LaunchOptions {
  backends: BackendId[];
  runs: number;
  promptCounts: number[];
  image?: string;
  largeMegapixels: number;
  concurrent: number;
  dist: string;
  /** Progress lines (stderr in the CLI). */
  log: (line: string) => void;
}

export async function compare(o: CompareOptions): Promise<Comparison> {
  const manifest = JSON.parse(readFileSync(path.join(o.models, 'manifest.json'), 'utf8')) as { name: string; family: string; precision: string };
  const machine = machineInfo(o.dist);
  const images: BenchImages = await writeBenchImages({ ...(o.image ? { image: o.image } : {}), largeMegapixels: o.largeMegapixels, concurrent: o.concurrent });
  const reports: BackendReport[] = [];
  const live: LiveBackend[] = [];
  let torch: Comparison['torch'];
  try {
    for (const id of BACKEND_IDS.filter((b) => o.backends.includes(b))) {
      o.log(`starting ${id} …`);
      const started = launch(id, o);
      if ('unavailable' in started) {
        reports.push({ id, available: false, reason: started.unavailable });
        continue;
      }
      const ready = await started.ready;
      if (!ready.ready) {
        await started.stop();
        reports.push({ id, available: false, reason: ready.error ?? 'did not start' });
        continue;
      }
      reports.push({ id, available: true, reason: ready.info?.reason ?? id, loadMs: ready.loadMs!, rssAfterLoadMiB: ready.rssMiB! });
      if (ready.info?.torch) torch = { torch: String(ready.info.torch), transformers: String(ready.info.transformers) };
      live.push({ id, process: started });
    }
    o.log(`measuring ${live.map((b) => b.id).join(', ')}: ${o.runs} interleaved runs per figure …`);
    const measurements = await runComparison(live, { runs: o.runs, promptCounts: o.promptCounts, images });
    for (const b of live) {
      const stats = b.failed ? undefined : await b.process.request({ op: 'stats' }).catch(() => undefined);
      const report = reports.find((r) => r.id === b.id)!;
      if (stats?.peakRssMiB !== undefined) report.peakRssMiB = stats.peakRssMiB;
    }
    const baselinePeak = reports.find((r) => r.id === BASELINE)?.peakRssMiB;
    for (const r of reports) if (r.peakRssMiB !== undefined) r.peakRssRatio = baselinePeak ? r.peakRssMiB / baselinePeak : null;
    return {
      machine,
      ...(torch ? { torch } : {}),
      package: { dir: o.models, name: manifest.name, family: manifest.family, precision: manifest.precision },
      threads: o.threads,
      runs: o.runs,
      baseline: BASELINE,
      images: {
        source: images.source,
        base: { width: images.base.width, height: images.base.height, megapixels: images.base.megapixels },
        large: { width: images.large.width, height: images.large.height, megapixels: images.large.megapixels },
      },
      backends: reports,
      measurements,
    };
  } finally {
    await Promise.all(live.map((b) => b.process.stop()));
    rmSync(images.dir, { recursive: true, force: true });
  }
}
