import { createServer } from '../server/create-server.js';
import type { BackendChoice, InferencePrecision } from '../options.js';
import { numberFlag, UsageError, type CliIo, type ParsedArgs } from './run-cli.js';

/** Runs the HTTP API until SIGINT or SIGTERM, then closes gracefully. */
export async function serveCommand(flags: ParsedArgs['values'], io: CliIo): Promise<void> {
  const port = numberFlag(flags.port, 'port') ?? 7860;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0–65535, got ${flags.port}`);
  const host = flags.host ?? '127.0.0.1';
  const threads = numberFlag(flags.threads, 'threads');
  const maskBudgetMiB = numberFlag(flags['mask-budget-mib'], 'mask-budget-mib');
  const app = createServer({
    host,
    port,
    ...(maskBudgetMiB !== undefined ? { maskBudgetMiB } : {}),
    segmenterOptions: {
      ...(flags.models ? { models: flags.models } : {}),
      ...(flags.backend ? { backend: flags.backend as BackendChoice } : {}),
      ...(flags.precision ? { inferencePrecision: flags.precision as InferencePrecision } : {}),
      ...(flags.engines ? { engines: flags.engines } : {}),
      ...(threads !== undefined ? { threads } : {}),
    },
  });
  const { port: bound } = await app.listen();
  // IPv6 literals need brackets in a URL.
  io.out(`listening on http://${host.includes(':') ? `[${host}]` : host}:${bound}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await app.close();
}
