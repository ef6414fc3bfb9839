#!/usr/bin/env node
// Runs the native core tests (native/tests), building first: the build is incremental, so
// it only compiles what changed, and a stale test executable is never run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const exe = path.join(root, 'build', 'Release', process.platform === 'win32' ? 'sam3clip_native_tests.exe' : 'sam3clip_native_tests');

const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-native.mjs')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
if (!existsSync(exe)) {
  console.error(`sam3clip: the build did not produce ${exe}`);
  process.exit(1);
}
const run = spawnSync(exe, [], { cwd: root, stdio: 'inherit' });
if (run.error) {
  console.error(`sam3clip: could not run ${exe}: ${run.error.message}`);
  process.exit(1);
}
process.exit(run.status ?? 1);
