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
    process.stderr.write(`error: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
