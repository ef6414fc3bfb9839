/** Prompt tokenization through the public PromptTokenizer: framing, truncation with EOS last, padding. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PromptTokenizer } from '../dist/index.js';
import { buildClipTokenizerJson, readClipMerges } from '../scripts/clip-tokenizer.js';
import { fixtureTokenizer } from '../scripts/fixtures/fixture-tokenizer.js';
import { SHARED, tempDir } from './support/packages.js';

const BPE = path.join(SHARED, 'clip', 'bpe_simple_vocab_16e6.txt.gz');
const REFERENCE = path.join(SHARED, 'clip', 'reference-token-ids.json');
const haveShared = existsSync(BPE) && existsSync(REFERENCE);
const settings = { contextLength: 77, padId: 49407, lowercase: true, attentionMask: false };

function writeTokenizer(json: string): string {
  const file = path.join(tempDir(), 'tokenizer.json');
  writeFileSync(file, json);
  return file;
}

describe('PromptTokenizer', () => {
  it('truncates a long prompt to the context length with EOS last, and pads the batch', async () => {
    const { json, bosId, eosId } = fixtureTokenizer();
    const tokenizer = await PromptTokenizer.fromFile(writeTokenizer(json), { ...settings, padId: eosId });
    const long = await tokenizer.encode(Array(200).fill('red').join(' '));
    expect(long).toHaveLength(77);
    expect(long[0]).toBe(bosId);
    expect(long[76]).toBe(eosId);
    const short = await tokenizer.encode('  RED\t\n circle ');
    expect(short).toEqual(await tokenizer.encode('red circle'));
    const batch = await tokenizer.encodeBatch(['red circle', Array(200).fill('red').join(' ')]);
    expect(batch.batch).toBe(2);
    const row0 = Array.from(batch.ids.subarray(0, 77), Number);
    expect(row0.slice(0, short.length)).toEqual(short);
    expect(row0.slice(short.length).every((id) => id === eosId)).toBe(true);
    expect(Array.from(batch.attentionMask.subarray(0, 77), Number).reduce((a, b) => a + b, 0)).toBe(short.length);
  });

  it.skipIf(!haveShared)(
    `gives CLIP's ids for the reference prompts and truncates >77 tokens with EOS last${haveShared ? '' : ' (skipped: ../shared/clip is absent)'}`,
    async () => {
      const tokenizer = await PromptTokenizer.fromFile(writeTokenizer(buildClipTokenizerJson(readClipMerges(BPE))), settings);
      const reference = JSON.parse(readFileSync(REFERENCE, 'utf8')) as Record<string, number[]>;
      for (const [prompt, ids] of Object.entries(reference)) {
        // CLIP's BPE reads Chinese only as byte tokens: such a prompt is refused (lib/prompt-coverage.ts).
        if (/\p{Script=Han}/u.test(prompt)) {
          await expect(tokenizer.encode(prompt), prompt).rejects.toMatchObject({ code: 'E_INVALID_PROMPT' });
          continue;
        }
        const want = ids.length > 77 ? [...ids.slice(0, 76), 49407] : ids;
        expect(await tokenizer.encode(prompt), prompt).toEqual(want);
      }
      const long = await tokenizer.encode(Array(100).fill('a photo of a cat').join(' '));
      expect(long).toHaveLength(77);
      expect([long[0], long[76]]).toEqual([49406, 49407]);
    },
  );

  it('rejects a broken tokenizer.json with E_MODEL_FILE', async () => {
    await expect(PromptTokenizer.fromFile(writeTokenizer('{"nope": true}'), settings)).rejects.toMatchObject({ code: 'E_MODEL_FILE' });
  });
});
