import { buildEngines } from '../engines/build-engines.js';
import { createProgressPrinter } from '../engines/progress-bar.js';
import type { Precision } from '../model/manifest-types.js';
import { numberFlag, UsageError, type CliIo, type ParsedArgs } from './run-cli.js';

/** sam3clip build-engines --models <dir> [--max-prompts 16] [--workspace-mib N] [--precision fp16|fp32] [--engines dir] */
export async function buildEnginesCommand(flags: ParsedArgs['values'], io: CliIo): Promise<void> {
  const models = flags.models ?? process.env.SAM3CLIP_MODELS;
  if (!models) throw new UsageError('build-engines needs --models <model package folder> (or $SAM3CLIP_MODELS)');
  const precision = flags.precision;
  if (precision !== undefined && precision !== 'fp16' && precision !== 'fp32')
    throw new UsageError(`--precision must be fp16 or fp32, got "${precision}"`);
  const maxPrompts = numberFlag(flags['max-prompts'], 'max-prompts');
  const workspaceMiB = numberFlag(flags['workspace-mib'], 'workspace-mib');
  const result = await buildEngines({
    models,
    ...(flags.engines ? { engines: flags.engines } : {}),
    ...(maxPrompts === undefined ? {} : { maxPrompts }),
    ...(workspaceMiB === undefined ? {} : { workspaceMiB }),
    ...(precision ? { precision: precision as Precision } : {}),
    ...(flags['version-compatible'] ? { versionCompatible: true } : {}),
    onProgress: createProgressPrinter(),
  });
  const m = result.metadata;
  if (flags.json) io.out(`${JSON.stringify({ dir: result.dir, seconds: result.seconds, metadata: m })}\n`);
  else
    io.out(
      `Built ${m.precision} engines for ${m.package.name} with TensorRT ${m.tensorrt.version} on ${m.gpu.name} ` +
        `(prompts 1..${m.maxPrompts}) in ${result.seconds.toFixed(1)} s: ${result.dir}\n`,
    );
}
