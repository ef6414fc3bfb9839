/**
 * Runs an interactive graph whose feeds share a leading prompt-batch axis in parts of at most
 * `maxBatch` prompts and joins the parts' outputs along that axis: the engines' optimization
 * profile bounds one run's batch, the number of clicks in a call need not.
 */
import type { FloatTensor, HostTensor } from '../backend.js';

type Tensors = Record<string, { dims: number[]; data: Float32Array }>;

const rowSize = (dims: number[]) => dims.slice(1).reduce((a, b) => a * b, 1);

export async function runInBatches(
  feeds: Record<string, HostTensor>,
  maxBatch: number,
  run: (part: Record<string, HostTensor>) => Promise<Tensors>,
): Promise<Record<string, FloatTensor>> {
  const tensors = Object.values(feeds);
  const batch = tensors[0]?.dims[0] ?? 0;
  // Feeds that disagree on the batch, or a batch that fits, go as they are: the pipeline says what is wrong.
  const uniform = tensors.every((t) => t.dims[0] === batch && t.data.length === batch * rowSize(t.dims));
  if (!uniform || batch <= maxBatch) return run(feeds);

  const parts: Tensors[] = [];
  for (let start = 0; start < batch; start += maxBatch) {
    const end = Math.min(batch, start + maxBatch);
    const part: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      const row = rowSize(t.dims);
      part[name] = { type: t.type, dims: [end - start, ...t.dims.slice(1)], data: t.data.subarray(start * row, end * row) } as HostTensor;
    }
    parts.push(await run(part));
  }
  const joined: Record<string, FloatTensor> = {};
  for (const name of Object.keys(parts[0]!)) {
    const pieces = parts.map((p) => p[name]!);
    const data = new Float32Array(pieces.reduce((n, p) => n + p.data.length, 0));
    let offset = 0;
    for (const p of pieces) {
      data.set(p.data, offset);
      offset += p.data.length;
    }
    joined[name] = { dims: [pieces.reduce((n, p) => n + (p.dims[0] ?? 0), 0), ...pieces[0]!.dims.slice(1)], data };
  }
  return joined;
}
