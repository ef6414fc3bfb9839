/**
 * Turns the form's prompt fields into positive and negative prompt lists. Fields may repeat or
 * hold several prompts separated by commas or newlines, and "X but not Y" reads as prompt X with
 * negative Y — the way people naturally type it into a single text box.
 */
export function parsePrompts(promptFields: string[], negativeFields: string[]): { prompts: string[]; negative: string[] } {
  const prompts: string[] = [];
  const negative: string[] = [];
  for (const item of splitList(promptFields)) {
    const m = /^(.*?)\s+but\s+not\s+(.+)$/i.exec(item);
    if (m && m[1]!.trim() !== '') {
      prompts.push(m[1]!.trim());
      negative.push(m[2]!.trim());
    } else {
      prompts.push(item);
    }
  }
  negative.push(...splitList(negativeFields));
  return { prompts, negative: [...new Set(negative)] };
}

function splitList(fields: string[]): string[] {
  return fields.flatMap((f) => f.split(/[,\n]/)).map((s) => s.trim()).filter((s) => s !== '');
}
