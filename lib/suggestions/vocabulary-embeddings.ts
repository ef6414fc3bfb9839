import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The text tower's embeddings of a vocabulary, unit length, one row per word: computed once, then kept in
 * memory and in the modelCache folder. The key names the text tower and tokenizer by their SHA-256 (from
 * the manifest) and the vocabulary by its hash, so a changed package or list never reads stale rows.
 */
export interface VocabularyEmbeddings {
  rows: number;
  width: number;
  /** rows × width float32, each row L2-normalized. */
  data: Float32Array;
}

export function vocabularyKey(textEncoderSha: string, tokenizerSha: string, vocabulary: readonly string[]): string {
  const words = createHash('sha256').update(JSON.stringify(vocabulary)).digest('hex');
  return createHash('sha256').update(`${textEncoderSha}\n${tokenizerSha}\n${words}`).digest('hex').slice(0, 40);
}

/** Where a vocabulary's rows live in the modelCache folder. */
export function vocabularyFile(cacheDir: string, key: string): string {
  return path.join(cacheDir, 'vocabulary-embeddings', `${key}.f32`);
}

/** The cached rows, or undefined when absent or of the wrong size (then they are computed again). */
export async function readVocabularyFile(file: string, rows: number, width: number): Promise<VocabularyEmbeddings | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return undefined;
  }
  if (bytes.byteLength !== rows * width * 4) return undefined;
  const data = new Float32Array(rows * width);
  new Uint8Array(data.buffer).set(bytes);
  return { rows, width, data };
}

/** Writes through a temporary name and a rename, so a concurrent reader sees the whole file or none. */
export async function writeVocabularyFile(file: string, embeddings: VocabularyEmbeddings): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, new Uint8Array(embeddings.data.buffer, embeddings.data.byteOffset, embeddings.data.byteLength));
  await rename(tmp, file);
}

/** Each row scaled to unit length in place (a zero row stays zero). */
export function normalizeRows(data: Float32Array, width: number): Float32Array {
  for (let r = 0; r < data.length / width; r++) {
    let sum = 0;
    for (let i = 0; i < width; i++) sum += data[r * width + i]! ** 2;
    const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let i = 0; i < width; i++) data[r * width + i]! *= inv;
  }
  return data;
}
