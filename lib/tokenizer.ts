import { readFile } from 'node:fs/promises';
import { Tokenizer } from 'tokenizers';
import { Sam3ClipError } from './errors.js';
import type { TokenizerSpec } from './model/manifest-types.js';
import { promptCoverage, unreadPromptMessage } from './prompt-coverage.js';

export type TokenizerSettings = TokenizerSpec;

/** Token ids for a batch of prompts, padded to the context length: ids [B, L] and mask [B, L]. */
export interface TokenBatch {
  ids: BigInt64Array;
  attentionMask: BigInt64Array;
  batch: number;
  contextLength: number;
}

/**
 * Lowercases (where the manifest says the library should) and collapses whitespace, as CLIP's own tokenizer
 * does. 'bert' packages leave lowercasing to tokenizer.json's normalizer (BertNormalizer), which also strips
 * accents as transformers does; collapsing whitespace changes nothing for WordPiece, which splits on it.
 */
export function normalizePrompt(prompt: string, lowercase: boolean): string {
  const collapsed = prompt.replace(/\s+/gu, ' ').trim();
  return lowercase ? collapsed.toLowerCase() : collapsed;
}

/**
 * The prompt tokenizer: a Hugging Face tokenizer.json run by the `tokenizers` package. Its post-processor
 * frames the prompt (manifest tokenizer.framing: CLIP's BOS … EOS, or BERT's [CLS] … [SEP]); here it is
 * truncated to the context length with the closing token kept last (what transformers' truncation gives) and
 * padded with the manifest's pad id, the attention mask 1 on the prompt's tokens. A prompt whose letters the
 * vocabulary mostly cannot read (byte fallback or [UNK]: lib/prompt-coverage.ts) is E_INVALID_PROMPT.
 */
export class PromptTokenizer {
  /** Whether one character alone is one token of the vocabulary (not byte pieces, not the unknown token). */
  private readonly charReads = new Map<string, boolean>();

  private constructor(
    private readonly tokenizer: Tokenizer,
    readonly settings: TokenizerSettings,
    private readonly unkId: number | null,
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
    const unk = (JSON.parse(json) as { model?: { unk_token?: unknown } }).model?.unk_token;
    return new PromptTokenizer(tokenizer, settings, typeof unk === 'string' ? tokenizer.tokenToId(unk) : null);
  }

  private async reads(char: string): Promise<boolean> {
    let known = this.charReads.get(char);
    if (known === undefined) {
      const ids = (await this.tokenizer.encode(char, null, { addSpecialTokens: false })).getIds();
      known = ids.length === 1 && ids[0] !== this.unkId;
      if (this.charReads.size >= 65_536) this.charReads.clear(); // bounded however many scripts prompts use
      this.charReads.set(char, known);
    }
    return known;
  }

  /** Ids of one prompt with its opening and closing tokens, unpadded, truncated to the context length with the
   * closing token (EOS, [SEP]) kept last. */
  async encode(prompt: string): Promise<number[]> {
    const text = normalizePrompt(prompt, this.settings.lowercase);
    const coverage = await promptCoverage(text, (c) => this.reads(c));
    const refused = unreadPromptMessage(prompt, coverage, (this.settings.framing ?? 'clip') === 'clip');
    if (refused) throw new Sam3ClipError('E_INVALID_PROMPT', refused, { field: 'prompt' });
    const encoding = await this.tokenizer.encode(text);
    const ids = encoding.getIds();
    const max = this.settings.contextLength;
    if (ids.length <= max) return ids;
    // Keep the opening token and the first max-2 tokens, then the closing one: CLIP's tower reads the EOS
    // position, and transformers truncates BERT's input the same way ([CLS] … [SEP]).
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
