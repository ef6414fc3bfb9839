/** A vocabulary written as text: one name a line; blank lines and lines starting with # are skipped. */
export function parseVocabulary(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
