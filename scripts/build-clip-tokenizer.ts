/**
 * npm run clip-tokenizer -- [--bpe <bpe_simple_vocab_16e6.txt.gz>] --out <tokenizer.json>
 * Writes CLIP's tokenizer.json (Hugging Face format) from the original BPE merge file.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildClipTokenizerJson, readClipMerges } from './clip-tokenizer.js';

const root = path.resolve(__dirname, '..');

function main(): void {
  const { values } = parseArgs({
    options: {
      bpe: { type: 'string', default: path.join(root, '../shared/clip/bpe_simple_vocab_16e6.txt.gz') },
      out: { type: 'string' },
    },
  });
  if (!values.out) {
    console.error('usage: npm run clip-tokenizer -- [--bpe <bpe_simple_vocab_16e6.txt.gz>] --out <tokenizer.json>');
    process.exit(2);
  }
  const merges = readClipMerges(path.resolve(values.bpe!));
  const out = path.resolve(values.out);
  writeFileSync(out, buildClipTokenizerJson(merges));
  console.log(`${out}: CLIP tokenizer, ${merges.length} merges, vocabulary ${2 * 256 + merges.length + 2}`);
}

main();
