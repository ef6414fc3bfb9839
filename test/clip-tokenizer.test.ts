/**
 * The generated CLIP tokenizer.json, run by the `tokenizers` package, against token ids computed by an
 * independent CLIP BPE implementation (../shared/clip/reference-token-ids.json).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer } from 'tokenizers';
import { describe, expect, it } from 'vitest';
import { buildClipTokenizerJson, bytesToUnicode, readClipMerges } from '../scripts/clip-tokenizer.js';
import { fixtureTokenizer } from '../scripts/fixtures/fixture-tokenizer.js';

const CLIP_DIR = path.resolve(__dirname, '../../shared/clip');
const BPE = path.join(CLIP_DIR, 'bpe_simple_vocab_16e6.txt.gz');
const REFERENCE = path.join(CLIP_DIR, 'reference-token-ids.json');
const haveShared = existsSync(BPE) && existsSync(REFERENCE);

const ids = async (tokenizer: Tokenizer, text: string) => (await tokenizer.encode(text)).getIds();

describe('CLIP tokenizer.json', () => {
  it.skipIf(!haveShared)(`reproduces every entry of reference-token-ids.json${haveShared ? '' : ` (skipped: ${CLIP_DIR} is absent)`}`, async () => {
    const json = buildClipTokenizerJson(readClipMerges(BPE));
    const vocab = JSON.parse(json).model.vocab as Record<string, number>;
    expect(Object.keys(vocab)).toHaveLength(49408);
    expect([vocab['<|startoftext|>'], vocab['<|endoftext|>']]).toEqual([49406, 49407]);
    const tokenizer = Tokenizer.fromString(json);
    const reference = JSON.parse(readFileSync(REFERENCE, 'utf8')) as Record<string, number[]>;
    expect(Object.keys(reference).length).toBeGreaterThan(0);
    const got: Record<string, number[]> = {};
    for (const prompt of Object.keys(reference)) got[prompt] = await ids(tokenizer, prompt);
    expect(got).toEqual(reference);
  });

  it('orders the vocabulary as CLIP does: bytes, bytes + </w>, merges, BOS, EOS', async () => {
    const table = bytesToUnicode();
    expect(new Set(table.map(([b]) => b)).size).toBe(256);
    expect(table[0]).toEqual([0x21, '!']);
    expect(table[188]).toEqual([0, 'Ā']);
    const json = JSON.parse(buildClipTokenizerJson(['r e', 're d</w>']));
    expect(json.model.vocab).toMatchObject({ '!': 0, '!</w>': 256, re: 512, 'red</w>': 513, '<|startoftext|>': 514, '<|endoftext|>': 515 });
    const tokenizer = Tokenizer.fromString(JSON.stringify(json));
    // Normalized to "red", merged to one token, framed by BOS/EOS; "rex" keeps "re" and a byte token.
    expect(await ids(tokenizer, '  RED ')).toEqual([514, 513, 515]);
    expect(await ids(tokenizer, 'rex')).toEqual([514, 512, 256 + 'x'.charCodeAt(0) - 0x21, 515]);
    // A merge that recreates an existing token would shift every later id.
    expect(() => buildClipTokenizerJson(['d </w>'])).toThrow(/twice/);
  });

  it('gives the fixture packages a working tokenizer with BOS/EOS at the end of its vocabulary', async () => {
    const { json, bosId, eosId } = fixtureTokenizer();
    const vocabSize = Object.keys(JSON.parse(json).model.vocab).length;
    expect([bosId, eosId]).toEqual([vocabSize - 2, vocabSize - 1]);
    const tokenizer = Tokenizer.fromString(json);
    const box = await ids(tokenizer, 'a red box');
    expect(box[0]).toBe(bosId);
    expect(box[box.length - 1]).toBe(eosId);
    expect(box.length).toBeLessThan(2 + 'a red box'.length);
    expect(await ids(tokenizer, 'A  Red\tBOX')).toEqual(box);
  });
});
