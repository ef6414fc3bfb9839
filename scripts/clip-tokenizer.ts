/**
 * Builds a Hugging Face tokenizer.json that tokenizes exactly as OpenAI CLIP's SimpleTokenizer does,
 * from CLIP's BPE merge list (bpe_simple_vocab_16e6.txt.gz, or any merge list in the same alphabet).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export const BOS_TOKEN = '<|startoftext|>';
export const EOS_TOKEN = '<|endoftext|>';
export const END_OF_WORD = '</w>';
/** CLIP's word splitter (SimpleTokenizer.pat), in the regex dialect of `tokenizers`. */
export const CLIP_SPLIT_PATTERN =
  "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";
/** CLIP uses merges 1..48894 of its file: vocab 49408 = 2·256 + 48894 + 2 special tokens. */
export const CLIP_MERGE_COUNT = 49152 - 256 - 2;

/**
 * GPT-2/CLIP byte → printable character table, in CLIP's vocabulary order: the printable bytes keep their
 * own character, the rest map to U+0100 onward. Entry i is [byte, character].
 */
export function bytesToUnicode(): [number, string][] {
  const printable: number[] = [];
  for (const [lo, hi] of [
    [0x21, 0x7e],
    [0xa1, 0xac],
    [0xae, 0xff],
  ] as const)
    for (let b = lo; b <= hi; b++) printable.push(b);
  const table: [number, string][] = printable.map((b) => [b, String.fromCodePoint(b)]);
  let extra = 0;
  for (let b = 0; b < 256; b++) if (!printable.includes(b)) table.push([b, String.fromCodePoint(256 + extra++)]);
  return table;
}

/** Reads CLIP's gzipped merge file and returns the merges CLIP uses (header and unused tail dropped). */
export function readClipMerges(gzFile: string): string[] {
  const lines = gunzipSync(readFileSync(gzFile)).toString('utf8').split('\n');
  const merges = lines.slice(1, CLIP_MERGE_COUNT + 1);
  if (merges.length !== CLIP_MERGE_COUNT || merges.some((m) => m.split(' ').length !== 2))
    throw new Error(`${gzFile}: expected ${CLIP_MERGE_COUNT} merges "a b" after the header line`);
  return merges;
}

/**
 * SimpleTokenizer runs html.unescape twice before tokenizing. tokenizers has no such normalizer, so the
 * common entities are replaced literally (&amp; twice, so "&amp;amp;" ends as "&" as it does in CLIP).
 */
const HTML_ENTITIES: [string, string][] = [
  ['&amp;', '&'],
  ['&amp;', '&'],
  ['&lt;', '<'],
  ['&gt;', '>'],
  ['&quot;', '"'],
  ['&#39;', "'"],
  ['&#x27;', "'"],
  ['&apos;', "'"],
  ['&nbsp;', ' '],
];

/**
 * tokenizer.json for a CLIP-style BPE with the given merges ("a b" per line, in byte-level characters).
 * Vocabulary order is CLIP's: 256 byte characters, the same with "</w>", one token per merge, then
 * BOS and EOS, so with CLIP's own merges BOS = 49406 and EOS = 49407.
 */
export function buildClipTokenizerJson(mergesLines: readonly string[]): string {
  const chars = bytesToUnicode().map(([, c]) => c);
  const tokens = [...chars, ...chars.map((c) => c + END_OF_WORD), ...mergesLines.map((m) => m.split(' ').join(''))];
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => {
    // CLIP's file yields each token once; a duplicate would make ids disagree with list positions.
    if (t in vocab) throw new Error(`merge list produces the token ${JSON.stringify(t)} twice`);
    vocab[t] = i;
  });
  const bosId = tokens.length;
  const eosId = tokens.length + 1;
  vocab[BOS_TOKEN] = bosId;
  vocab[EOS_TOKEN] = eosId;
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(bosId, BOS_TOKEN), special(eosId, EOS_TOKEN)],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        ...HTML_ENTITIES.map(([from, to]) => ({ type: 'Replace', pattern: { String: from }, content: to })),
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        // invert: the pattern's matches are the words; everything between them (whitespace) is dropped.
        { type: 'Split', pattern: { Regex: CLIP_SPLIT_PATTERN }, behavior: 'Removed', invert: true },
        // Bytes → printable characters only; CLIP splits words with its own pattern above, not GPT-2's.
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [EOS_TOKEN, eosId],
      cls: [BOS_TOKEN, bosId],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: EOS_TOKEN,
      continuing_subword_prefix: '',
      end_of_word_suffix: END_OF_WORD,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [...mergesLines],
    },
  };
  return JSON.stringify(json);
}
