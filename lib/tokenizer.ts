import { readFile } from 'node:fs/promises';
import { Tokenizer } from 'tokenizers';
import { Sam3ClipError } from './errors.js';
import type { TokenizerSpec } from './model/manifest-types.js';

export type TokenizerSettings = TokenizerSpec;

/** Token ids for a batch of prompts, padded to the context length: ids [B, L] and mask [B, L]. */
export interface TokenBatch {
  ids: BigInt64Array;
  attentionMask: BigInt64Array;
  batch: number;
  contextLength: number;
}

/** Lowercases (where the model does) and collapses whitespace, as CLIP's own tokenizer does. */
export function normalizePrompt(prompt: string, lowercase: boolean): string {
  const collapsed = prompt.replace(/\s+/gu, ' ').trim();
  return lowercase ? collapsed.toLowerCase() : collapsed;
}

/**
 * The prompt tokenizer: a Hugging Face tokenizer.json run by the `tokenizers` package, with CLIP's
 * framing applied here so every package behaves alike: BOS … EOS, truncated so EOS stays last,
 * padded with the manifest's pad id.
 */
export class PromptTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    readonly settings: TokenizerSettings,
  ) {}

  static async fromFile(file: string, settings: TokenizerSettings): Promise<PromptTokenizer> {
    let json: string;
    try {
      json = await readFile(file, 'utf8');
    } catch (cause) {
      throw new Sam3ClipError('E_MODEL_FILE', `Cannot read tokenizer ${file}`, { file, field: 'files.tokenizer', cause });
    }
    let tokenizer: Tokenizer;
    try {
      tokenizer = Tokenizer.fromString(json);
    } catch (cause) {
      throw new Sam3ClipError('E_MODEL_FILE', `${file} is not a valid tokenizer.json: ${(cause as Error).message}`, {
        file,
        field: 'files.tokenizer',
        cause,
      });
    }
    return new PromptTokenizer(tokenizer, settings);
  }

  /** Ids of one prompt with BOS/EOS, unpadded, truncated to the context length with EOS kept last. */
  async encode(prompt: string): Promise<number[]> {
    const text = normalizePrompt(prompt, this.settings.lowercase);
    const encoding = await this.tokenizer.encode(text);
    const ids = encoding.getIds();
    const max = this.settings.contextLength;
    if (ids.length <= max) return ids;
    // Keep BOS and the first max-2 tokens, then EOS: the text tower reads the EOS position.
    return [...ids.slice(0, max - 1), ids[ids.length - 1]!];
  }

  async encodeBatch(prompts: readonly string[]): Promise<TokenBatch> {
    const { contextLength, padId } = this.settings;
    const rows = await Promise.all(prompts.map((p) => this.encode(p)));
    const ids = new BigInt64Array(rows.length * contextLength).fill(BigInt(padId));
    const attentionMask = new BigInt64Array(rows.length * contextLength);
    rows.forEach((row, b) => {
      row.forEach((id, i) => {
        ids[b * contextLength + i] = BigInt(id);
        attentionMask[b * contextLength + i] = 1n;
      });
    });
    return { ids, attentionMask, batch: rows.length, contextLength };
  }
}
