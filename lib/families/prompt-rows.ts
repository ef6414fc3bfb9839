import { normalizePrompt } from '../tokenizer.js';
import type { PromptCall } from './family.js';

/**
 * One row per prompt of the call (a prompt-path output: prompt embeddings, text features), from the
 * segmenter's prompt cache where it holds them. The rest are encoded as one batch by `encode`, which
 * gets the index of the first occurrence of each uncached prompt (as normalized: "A  Cat" is "a cat")
 * and returns their rows, in that order; each new row goes into the cache.
 */
export async function cachedPromptRows(
  call: PromptCall,
  rowSize: number,
  encode: (missing: number[]) => Promise<Float32Array>,
): Promise<Float32Array> {
  const { all: prompts, tokenizer, promptCache, t } = call;
  const keys = prompts.map((p) => normalizePrompt(p, tokenizer.settings.lowercase));
  const rows = keys.map((k) => promptCache.get(k));
  t.cachedPrompts = rows.filter((row) => row !== undefined).length;
  const missing: number[] = [];
  keys.forEach((k, i) => {
    if (rows[i] === undefined && !missing.some((j) => keys[j] === k)) missing.push(i);
  });
  if (missing.length > 0) {
    const encoded = await encode(missing);
    missing.forEach((i, b) => {
      const row = encoded.slice(b * rowSize, (b + 1) * rowSize);
      promptCache.set(keys[i]!, row);
      keys.forEach((k, j) => {
        if (k === keys[i]) rows[j] = row;
      });
    });
  }
  const data = new Float32Array(prompts.length * rowSize);
  rows.forEach((row, i) => data.set(row!, i * rowSize));
  return data;
}
