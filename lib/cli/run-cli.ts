import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Sam3ClipError } from '../errors.js';
import { segmentCommand } from './segment-command.js';
import { infoCommand } from './info-command.js';
import { tokenizeCommand } from './tokenize-command.js';
import { suggestCommand } from './suggest-command.js';
import { serveCommand } from './serve-command.js';
import { buildEnginesCommand } from './build-engines-command.js';

export const USAGE = `Usage:
  sam3clip segment <image> [prompt...] [--point x,y[,label]]... [--box x0,y0,x1,y1]
                   [--all-candidates] [--models dir] [--threshold 0.5] [--smoothness 3]
                   [--negative text]... [--out mask.png] [--overlay out.jpg] [--json]
                   [--instances dir] [--max-instances 100]
                   [--backend auto|cpu|openvino|tensorrt] [--precision auto|bf16|fp32]
                   [--threads n] [--mask-budget-mib 2048]
  sam3clip suggest <image> [--top 10] [--vocabulary names.txt] [--verify] [--models dir] [--json]
  sam3clip info [--models dir] [--engines dir] [--backend …]
  sam3clip build-engines --models dir [--max-prompts 16] [--workspace-mib 4096]
                   [--precision fp16|fp32] [--engines dir] [--version-compatible] [--json]
  sam3clip serve [--port 7860] [--host 127.0.0.1] [--models dir] [--backend auto|cpu|openvino|tensorrt]
                   [--precision auto|bf16|fp32] [--threads n] [--mask-budget-mib 1024]
  sam3clip tokenize --tokenizer <tokenizer.json> [--context-length 77] <text...>
  sam3clip tokenize --models dir <text...>

The model package folder defaults to $SAM3CLIP_MODELS.
Several prompts give one mask each; --out mask.png then writes mask-1.png, mask-2.png, ...
--out writes each prompt's mask (on sam3-concept the union of its instances); --instances dir writes
one PNG per instance, named <prompt number>-<prompt>-<instance number>.png (best first).
--point (label 1 on the object, the default; 0 off it) and --box, in image pixels, make one prompt for
the interactive path (packages with the prompt encoder); beside one text prompt they join it. With
--json each result lists candidates [{ iou }]; --all-candidates adds each candidate's mask as rle.
suggest prints names that fit the image, best first (CLIP's cosine; packages exported with
--clip-image-tower, or sam3-concept with --verify): from --vocabulary (one name a line) or COCO's 80;
--verify keeps the names the segmenter finds.
--backend cpu is ONNX Runtime; openvino is OpenVINO on x86 CPUs, whose --precision is BF16 where the
CPU has it (auto) or FP32. Masks are PNG; the overlay is PNG, JPEG or WebP, chosen by its file extension.
Exit status: 0 on success, 1 on an error (printed as "error E_CODE: message"; with --json also as
{"error":{"code","message"}} on stdout), 2 on a usage error.`;

export class UsageError extends Error {}

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  writeFile: (file: string, data: Buffer | string) => Promise<void>;
}

const defaultIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  writeFile: (f, d) => writeFile(f, d),
};

export type ParsedArgs = ReturnType<typeof parse>;

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      models: { type: 'string' },
      threshold: { type: 'string' },
      smoothness: { type: 'string' },
      negative: { type: 'string', multiple: true },
      out: { type: 'string', short: 'o' },
      overlay: { type: 'string' },
      instances: { type: 'string' },
      'max-instances': { type: 'string' },
      json: { type: 'boolean' },
      backend: { type: 'string' },
      threads: { type: 'string' },
      tokenizer: { type: 'string' },
      'context-length': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      engines: { type: 'string' },
      'max-prompts': { type: 'string' },
      'workspace-mib': { type: 'string' },
      precision: { type: 'string' },
      'version-compatible': { type: 'boolean' },
      'mask-budget-mib': { type: 'string' },
      point: { type: 'string', multiple: true },
      box: { type: 'string' },
      'all-candidates': { type: 'boolean' },
      top: { type: 'string' },
      vocabulary: { type: 'string' },
      verify: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** Runs one CLI invocation; returns the exit code. */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parse(argv);
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const [command, ...rest] = args.positionals;
  // Asked-for help is the command's output (stdout, exit 0); a missing command is a usage error.
  if (args.values.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  if (!command) {
    io.err(`${USAGE}\n`);
    return 2;
  }
  try {
    switch (command) {
      case 'segment':
        await segmentCommand(rest, args.values, io);
        return 0;
      case 'suggest':
        await suggestCommand(rest, args.values, io);
        return 0;
      case 'info':
        await infoCommand(args.values, io);
        return 0;
      case 'serve':
        await serveCommand(args.values, io);
        return 0;
      case 'build-engines':
        await buildEnginesCommand(args.values, io);
        return 0;
      case 'tokenize':
        await tokenizeCommand(rest, args.values, io);
        return 0;
      default:
        throw new UsageError(`Unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    const coded =
      error instanceof Sam3ClipError
        ? error
        : new Sam3ClipError('E_INTERNAL', error instanceof Error ? error.message : String(error), { cause: error });
    if (args.values.json) io.out(`${JSON.stringify({ error: { code: coded.code, message: coded.message } })}\n`);
    io.err(`error ${coded.code}: ${coded.message}\n`);
    // A stack helps only whoever debugs the library; users see the code and the message.
    if (coded.code === 'E_INTERNAL' && process.env.SAM3CLIP_DEBUG && error instanceof Error) io.err(`${error.stack}\n`);
    return 1;
  }
}

/** A numeric flag, or undefined when absent (range checks belong to the library). */
export function numberFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${value}"`);
  return n;
}
