#!/usr/bin/env node
/**
 * sam3clip command line: segment, info, tokenize, serve. Exit code 0 on success, 1 on a coded error
 * (printed as "error E_CODE: message"), 2 on a usage error.
 */
import { runCli } from './run-cli.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // runCli codes every error itself; this is the last guard if writing the report failed.
    process.stderr.write(`error E_INTERNAL: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
