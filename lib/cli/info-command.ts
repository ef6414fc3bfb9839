import { loadModelPackage } from '../model/manifest.js';
import { promptPaths } from '../model/manifest-types.js';
import { capabilities, nativeVersion } from '../native.js';
import { resolveSegmenterOptions } from '../options.js';
import { selectBackend } from '../backends/select-backend.js';
import type { CliIo, ParsedArgs } from './run-cli.js';

export async function infoCommand(flags: ParsedArgs['values'], io: CliIo): Promise<void> {
  const caps = capabilities();
  const info: Record<string, unknown> = {
    version: require('../../package.json').version,
    native: nativeVersion(),
    capabilities: caps,
  };
  const models = flags.models ?? process.env.SAM3CLIP_MODELS;
  if (models) {
    const options = resolveSegmenterOptions({
      models,
      ...(flags.backend ? { backend: flags.backend as 'auto' } : {}),
      ...(flags.engines ? { engines: flags.engines } : {}),
    });
    // info is the explicit check: it reads every file whatever the cache remembers, and then
    // corrects the cache, so a file it finds bad is not taken as verified by the next start.
    const pkg = await loadModelPackage(models, {
      verifyHashes: true,
      ...(options.modelCache === undefined ? {} : { hashCache: options.modelCache, rehash: true }),
    });
    const selection = await selectBackend(options, pkg);
    info.backend = { name: selection.name, reason: selection.reason, ...(selection.engines ? { engines: selection.engines } : {}) };
    // What the package answers, read from the files it lists (text, points, box).
    info.models = { dir: pkg.dir, prompts: promptPaths(pkg.manifest), ...pkg.manifest };
  } else {
    info.models = null;
    info.modelsNote = 'No model package: --models was not given and SAM3CLIP_MODELS is unset.';
  }
  io.out(`${JSON.stringify(info, null, 2)}\n`);
}
