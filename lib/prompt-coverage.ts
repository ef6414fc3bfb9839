/**
 * Whether a package's tokenizer can read a prompt at all. CLIP's byte-level BPE has no unknown token: a Chinese
 * character it has no token for becomes two or three rare byte tokens, and the English-trained tower answers
 * with a confident mask for something else. A WordPiece vocabulary maps such characters to [UNK]. Either way
 * the prompt is refused when most of its letters are unread, rather than silently answered.
 */

/** Unread letters at or above this share of the prompt's letters and digits make the prompt invalid. */
export const UNREAD_SHARE_LIMIT = 0.5;

/** Han, kana and Hangul: the scripts a CLIP (English) package reads only as byte fallback. */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const ASCII = /^[\x00-\x7f]$/;

export interface PromptCoverage {
  /** Letters and digits in the prompt (each occurrence counted). */
  letters: number;
  /** Of those, the ones the tokenizer has no token for (byte fallback or [UNK]). */
  unread: number;
  /** Of the unread ones, those in CJK scripts. */
  unreadCjk: number;
}

/**
 * Counts the prompt's letters the tokenizer cannot read. `reads(char)` says whether one character alone
 * becomes a single token that is not the unknown token. ASCII letters and digits are read by every vocabulary a
 * package ships (CLIP's bytes, WordPiece's single letters), so only the other characters are asked about.
 */
export async function promptCoverage(text: string, reads: (char: string) => Promise<boolean>): Promise<PromptCoverage> {
  const coverage: PromptCoverage = { letters: 0, unread: 0, unreadCjk: 0 };
  for (const char of text) {
    if (!LETTER_OR_DIGIT.test(char)) continue;
    coverage.letters++;
    if (ASCII.test(char) || (await reads(char))) continue;
    coverage.unread++;
    if (CJK.test(char)) coverage.unreadCjk++;
  }
  return coverage;
}

/**
 * The reason a prompt is refused, or undefined when the tokenizer reads enough of it. `englishTower`: the
 * package's tower is CLIP's (English); mostly-CJK prompts are then pointed to a Chinese-CLIP package.
 */
export function unreadPromptMessage(prompt: string, c: PromptCoverage, englishTower: boolean): string | undefined {
  if (c.letters === 0 || c.unread / c.letters < UNREAD_SHARE_LIMIT) return undefined;
  const share = `${c.unread} of its ${c.letters} letters`;
  if (englishTower && c.unreadCjk * 2 >= c.unread)
    return `prompt ${JSON.stringify(prompt)}: this package's text tower reads English (${share} are outside its ` +
      'vocabulary); Chinese prompts need a Chinese-CLIP package (README, "Chinese prompts")';
  return `prompt ${JSON.stringify(prompt)}: ${share} are outside the vocabulary of this package's tokenizer, so its text tower cannot read it`;
}
