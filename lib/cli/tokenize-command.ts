import { PromptTokenizer } from '../tokenizer.js';
import { numberFlag, UsageError, type CliIo, type ParsedArgs } from './run-cli.js';

/** Prints the CLIP token ids (BOS … EOS, unpadded) of the text as JSON. */
export async function tokenizeCommand(positionals: string[], flags: ParsedArgs['values'], io: CliIo): Promise<void> {
  if (!flags.tokenizer) throw new UsageError('tokenize needs --tokenizer <tokenizer.json>');
  if (positionals.length === 0) throw new UsageError('tokenize needs the text to tokenize');
  const contextLength = numberFlag(flags['context-length'], 'context-length') ?? 77;
  if (!Number.isInteger(contextLength) || contextLength < 2) throw new UsageError('--context-length must be an integer ≥ 2');
  const tokenizer = await PromptTokenizer.fromFile(flags.tokenizer, {
    contextLength,
    padId: 0,
    lowercase: true,
    attentionMask: false,
  });
  io.out(`${JSON.stringify(await tokenizer.encode(positionals.join(' ')))}\n`);
}
