import { loadModelPackage } from '../model/manifest.js';
import { PromptTokenizer } from '../tokenizer.js';
import { numberFlag, UsageError, type CliIo, type ParsedArgs } from './run-cli.js';

/**
 * Prints the token ids of the text as JSON, unpadded, with the package's framing (BOS … EOS for CLIP,
 * [CLS] … [SEP] for WordPiece). With --models the package's tokenizer and manifest settings are used; with
 * --tokenizer a tokenizer.json alone, with CLIP's settings (lowercased, --context-length, default 77).
 */
export async function tokenizeCommand(positionals: string[], flags: ParsedArgs['values'], io: CliIo): Promise<void> {
  if (!flags.tokenizer && !flags.models) throw new UsageError('tokenize needs --tokenizer <tokenizer.json> or --models <package>');
  if (positionals.length === 0) throw new UsageError('tokenize needs the text to tokenize');
  const tokenizer = flags.models ? await packageTokenizer(flags.models) : await fileTokenizer(flags.tokenizer!, flags);
  io.out(`${JSON.stringify(await tokenizer.encode(positionals.join(' ')))}\n`);
}

async function packageTokenizer(dir: string): Promise<PromptTokenizer> {
  const pkg = await loadModelPackage(dir, { verifyHashes: false });
  if (!pkg.manifest.tokenizer || !pkg.manifest.files.tokenizer) throw new UsageError(`${dir} has no text path (no tokenizer)`);
  return PromptTokenizer.fromFile(pkg.paths.tokenizer, pkg.manifest.tokenizer);
}

async function fileTokenizer(file: string, flags: ParsedArgs['values']): Promise<PromptTokenizer> {
  const contextLength = numberFlag(flags['context-length'], 'context-length') ?? 77;
  if (!Number.isInteger(contextLength) || contextLength < 2) throw new UsageError('--context-length must be an integer ≥ 2');
  return PromptTokenizer.fromFile(file, { contextLength, padId: 0, lowercase: true, attentionMask: false });
}
