import { readFile } from 'node:fs/promises';
import { Sam3ClipError } from '../errors.js';
import { createSegmenter } from '../segmenter.js';
import type { BackendChoice, InferencePrecision } from '../options.js';
import { parseVocabulary } from '../suggestions/vocabulary-text.js';
import { numberFlag, UsageError, type CliIo, type ParsedArgs } from './run-cli.js';

async function readVocabulary(file: string): Promise<string[]> {
  try {
    return parseVocabulary(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new Sam3ClipError('E_INVALID_OPTION', `--vocabulary ${file}: cannot read the file`, { field: 'vocabulary', file, cause });
  }
}

/** Prints prompt suggestions for an image: names from the vocabulary (default COCO's 80), best first. */
export async function suggestCommand(positionals: string[], flags: ParsedArgs['values'], io: CliIo): Promise<void> {
  const [image, ...extra] = positionals;
  if (!image || extra.length > 0) throw new UsageError('suggest needs exactly one image');
  const top = numberFlag(flags.top, 'top');
  const threads = numberFlag(flags.threads, 'threads');
  const vocabulary = flags.vocabulary ? await readVocabulary(flags.vocabulary) : undefined;
  const segmenter = await createSegmenter({
    ...(flags.models ? { models: flags.models } : {}),
    ...(flags.backend ? { backend: flags.backend as BackendChoice } : {}),
    ...(flags.precision ? { inferencePrecision: flags.precision as InferencePrecision } : {}),
    ...(threads !== undefined ? { threads } : {}),
  });
  try {
    const suggestions = await segmenter.suggest(image, {
      ...(top !== undefined ? { top } : {}),
      ...(vocabulary ? { vocabulary } : {}),
      ...(flags.verify ? { verify: true } : {}),
    });
    if (flags.json) {
      io.out(`${JSON.stringify({ suggestions })}\n`);
      return;
    }
    for (const s of suggestions)
      io.out(`${s.text}\t${s.score.toFixed(4)}${s.instances !== undefined ? `\t${s.instances} instance${s.instances === 1 ? '' : 's'}` : ''}\n`);
  } finally {
    await segmenter.dispose();
  }
}
