/**
 * Prompts in Chinese and other scripts: the tiny Chinese-CLIP package's tokenizer (WordPiece, [CLS] … [SEP],
 * manifest tokenizer.framing "bert") through the public PromptTokenizer must give exactly the ids and attention
 * masks transformers' own tokenizer gave (test/fixtures/sam3-chinese-tiny-reference/tokens.json); prompts the
 * vocabulary mostly cannot read are refused, on CLIP packages with a pointer to Chinese-CLIP packages.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSegmenter, loadModelPackage, PromptTokenizer } from '../dist/index.js';
import { tempDir } from './support/packages.js';

const CHINESE = path.resolve(__dirname, 'fixtures/sam3-chinese-tiny');
const CLIP = path.resolve(__dirname, 'fixtures/sam3-tiny');
const CONCEPT = path.resolve(__dirname, 'fixtures/sam3-concept-tiny');
const TOKENS = path.resolve(__dirname, 'fixtures/sam3-chinese-tiny-reference/tokens.json');

interface TokenCase {
  prompt: string;
  ids: number[];
  attentionMask: number[];
}
const reference = JSON.parse(readFileSync(TOKENS, 'utf8')) as { contextLength: number; cases: TokenCase[] };
// Letters mostly outside the vocabulary ([UNK]): full-width Latin letters, rare characters (lib/prompt-coverage.ts).
const REFUSED = new Set(['ＲＥＤ ｃａｒ\u3000红色', '龘靐齉']);

async function packageTokenizer(dir: string): Promise<PromptTokenizer> {
  const pkg = await loadModelPackage(dir, { verifyHashes: false });
  return PromptTokenizer.fromFile(pkg.paths.tokenizer, pkg.manifest.tokenizer!);
}

describe('Chinese-CLIP package tokenizer vs transformers', () => {
  it('reads its framing from the manifest: bert, [PAD] = 0, attention mask, L = 52, no library lowercasing', async () => {
    const { manifest } = await loadModelPackage(CHINESE, { verifyHashes: false });
    expect(manifest.tokenizer).toEqual({ contextLength: 52, padId: 0, lowercase: false, attentionMask: true, framing: 'bert' });
    expect(reference.contextLength).toBe(52);
  });

  it('gives transformers\' ids and attention masks for Chinese, English, mixed and over-long prompts', async () => {
    const tokenizer = await packageTokenizer(CHINESE);
    const L = reference.contextLength;
    const cases = reference.cases.filter((c) => !REFUSED.has(c.prompt));
    expect(cases.length).toBeGreaterThanOrEqual(10);
    expect(cases.some((c) => c.attentionMask.every((m) => m === 1))).toBe(true); // truncated ones
    const batch = await tokenizer.encodeBatch(cases.map((c) => c.prompt));
    expect(batch.contextLength).toBe(L);
    cases.forEach((c, b) => {
      expect({ prompt: c.prompt, ids: Array.from(batch.ids.subarray(b * L, (b + 1) * L), Number) }).toEqual({ prompt: c.prompt, ids: c.ids });
      expect(Array.from(batch.attentionMask.subarray(b * L, (b + 1) * L), Number)).toEqual(c.attentionMask);
    });
  });

  it('sam3clip tokenize --models prints the same ids, with the package\'s framing', () => {
    const cli = path.resolve(__dirname, '../dist/cli/main.js');
    const c = reference.cases.find((r) => r.prompt === '红色的汽车，在左边。')!;
    const out = execFileSync(process.execPath, [cli, 'tokenize', '--models', CHINESE, c.prompt], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(c.ids.filter((_, i) => c.attentionMask[i] === 1));
  });

  it('refuses prompts whose letters are mostly [UNK]', async () => {
    const tokenizer = await packageTokenizer(CHINESE);
    for (const prompt of REFUSED) {
      const c = reference.cases.find((r) => r.prompt === prompt)!;
      expect(c.ids).toContain(100); // [UNK] in transformers' ids too
      await expect(tokenizer.encode(prompt)).rejects.toMatchObject({ code: 'E_INVALID_PROMPT', message: expect.stringContaining('outside the vocabulary') });
    }
  });
});

describe('English (CLIP BPE) packages and Chinese prompts', () => {
  for (const [name, dir] of [['sam3-tiny (CLIP)', CLIP], ['sam3-concept-tiny', CONCEPT]] as const) {
    it(`${name}: a mostly Chinese prompt is E_INVALID_PROMPT pointing to Chinese-CLIP; a mostly English one is read`, async () => {
      const tokenizer = await packageTokenizer(dir);
      // Refused at half of the letters or more: '红色的 car' is 3 of 6, '红色 car' 2 of 5 is read.
      for (const prompt of ['红色的汽车', '一只黑猫的脸', '红色的 car'])
        await expect(tokenizer.encode(prompt)).rejects.toMatchObject({ code: 'E_INVALID_PROMPT', message: expect.stringContaining('Chinese-CLIP') });
      for (const prompt of ['红色 car', 'a red car 的']) expect((await tokenizer.encode(prompt)).length).toBeGreaterThan(3);
      expect((await tokenizer.encode('a red car')).length).toBe(5);
    });
  }
});

describe('segment() with a Chinese prompt', () => {
  const image = path.resolve(__dirname, 'fixtures/sam3-chinese-tiny-reference/landscape-96x64.png');

  it('on the CLIP package fails with E_INVALID_PROMPT; on the Chinese-CLIP package it is answered', async () => {
    const clip = await createSegmenter({ models: CLIP, backend: 'cpu', threads: 1 });
    const chinese = await createSegmenter({ models: CHINESE, backend: 'cpu', threads: 1 });
    try {
      await expect(clip.segment(image, ['a red car', '红色的汽车'])).rejects.toMatchObject({ code: 'E_INVALID_PROMPT' });
      const [r] = await chinese.segment(image, '红色的汽车');
      expect(r!.prompt).toBe('红色的汽车');
      expect(r!.candidates).toHaveLength(3);
    } finally {
      await Promise.all([clip.dispose(), chinese.dispose()]);
    }
  }, 60_000);
});

describe('manifest tokenizer.framing', () => {
  function withTokenizer(change: (t: Record<string, unknown>) => void): string {
    const dir = path.join(tempDir(), 'pkg');
    cpSync(CHINESE, dir, { recursive: true });
    const file = path.join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(file, 'utf8'));
    change(m.tokenizer);
    writeFileSync(file, JSON.stringify(m));
    return dir;
  }

  it('rejects an unknown framing and a bert framing without the attention mask', async () => {
    await expect(loadModelPackage(withTokenizer((t) => (t.framing = 'sentencepiece')), { verifyHashes: false })).rejects.toMatchObject({
      code: 'E_MODEL_MANIFEST',
      message: expect.stringContaining('tokenizer.framing'),
    });
    await expect(loadModelPackage(withTokenizer((t) => (t.attentionMask = false)), { verifyHashes: false })).rejects.toMatchObject({
      code: 'E_MODEL_MANIFEST',
      message: expect.stringContaining('tokenizer.attentionMask'),
    });
  });

  it('leaves packages without the field as they were (CLIP framing)', async () => {
    const { manifest } = await loadModelPackage(CLIP, { verifyHashes: false });
    expect(manifest.tokenizer).toEqual({ contextLength: 77, padId: 49407, lowercase: true, attentionMask: false });
  });
});
