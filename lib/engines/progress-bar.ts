/**
 * The build-engines progress display: one redrawn line on a terminal, one line per phase
 * otherwise (CI logs stay readable).
 */
export interface BuildProgress {
  graph: string;
  /** 1-based position of the graph among those being built. */
  index: number;
  total: number;
  phase: string;
  /** 0–1 within the phase, or undefined when the phase reports no steps. */
  fraction?: number;
}

const WIDTH = 24;

export function formatProgress(p: BuildProgress): string {
  const head = `[${p.index}/${p.total}] ${p.graph}`;
  if (p.fraction === undefined) return `${head}: ${p.phase}`;
  const filled = Math.round(Math.min(1, Math.max(0, p.fraction)) * WIDTH);
  return `${head} ${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)} ${Math.round(p.fraction * 100)
    .toString()
    .padStart(3)}% ${p.phase}`;
}

export function createProgressPrinter(stream: NodeJS.WriteStream = process.stderr): (p: BuildProgress) => void {
  let lastPhase = '';
  return (p) => {
    if (stream.isTTY) {
      stream.write(`\r\x1b[2K${formatProgress(p)}`);
      if (p.fraction === 1) stream.write('\n');
      return;
    }
    const key = `${p.graph}:${p.phase}`;
    if (key !== lastPhase) stream.write(`${formatProgress({ ...p, fraction: undefined })}\n`);
    lastPhase = key;
  };
}
