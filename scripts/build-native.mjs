#!/usr/bin/env node
// Builds the native addon (build/Release/sam3clip.node) and the native test and benchmark
// executables with cmake-js, in Release. `rebuild` as the first argument cleans first; other
// arguments go to cmake-js (for example --arch=arm64, --target=sam3clip, --CDSAM3CLIP_WITH_CUDA=OFF).
// Offline: package.json's binary.napi_versions makes cmake-js use the node-api-headers package
// instead of downloading Node's headers.
//
// The tools' output is passed through and also kept: when the build fails, the cause is read from
// it (scripts/native-build-diagnosis.mjs) and printed last, where a user looks.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { diagnoseBuildFailure } from './native-build-diagnosis.mjs';
import { ensureOpenVino } from './openvino-runtime.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));

function fail(cause, fix, tail = '') {
  console.error(`\nsam3clip: native build failed: ${cause}${tail ? `\n${tail}` : ''}`);
  if (fix) console.error(`To fix: ${fix}.`);
  process.exit(1);
}

let cmakeJs;
try {
  cmakeJs = path.join(path.dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
} catch {
  fail('cmake-js is not installed', 'run npm install in the package folder');
}

const parallel = String(Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
const extra = process.argv.slice(2);
let command = extra[0] === 'rebuild' ? extra.shift() : 'build';
// A configure step that failed leaves a CMakeCache.txt without build files, and cmake-js then
// skips configuring; start clean instead.
const outArg = extra.find((a) => a.startsWith('--out='));
const buildDir = outArg ? outArg.slice('--out='.length) : path.join(root, 'build');
if (
  command === 'build' &&
  existsSync(path.join(buildDir, 'CMakeCache.txt')) &&
  !existsSync(path.join(buildDir, 'build.ninja')) &&
  !existsSync(path.join(buildDir, 'Makefile'))
)
  command = 'rebuild';
// The OpenVINO backend builds against the openvino wheel's runtime (fetched once into .openvino/);
// without one the addon is built without it and the CPU backend stays ONNX Runtime.
const openvinoOff = extra.some((a) => /^--CDSAM3CLIP_WITH_OPENVINO=OFF$/.test(a)) || process.env.SAM3CLIP_WITH_OPENVINO === 'OFF';
if (!openvinoOff && !extra.some((a) => a.startsWith('--CDOpenVINO_DIR='))) {
  const openvino = ensureOpenVino();
  if (openvino.cmakeDir) extra.push(`--CDOpenVINO_DIR=${openvino.cmakeDir}`);
  else console.error(`sam3clip: building without the OpenVINO backend: ${openvino.reason}`);
}
const args = [cmakeJs, command, '--directory', root, '--config', 'Release', '--parallel', parallel, ...extra];

const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
let output = '';
const keep = (chunk) => {
  output += chunk;
  // Enough for any diagnosis; a long compile log is trimmed from the front.
  if (output.length > 4_000_000) output = output.slice(-2_000_000);
};
child.stdout.setEncoding('utf8').on('data', (c) => (keep(c), process.stdout.write(c)));
child.stderr.setEncoding('utf8').on('data', (c) => (keep(c), process.stderr.write(c)));
child.on('error', (error) => fail(`cmake-js could not start: ${error.message}`));
child.on('close', (code, signal) => {
  if (code === 0) return;
  const found = diagnoseBuildFailure(output);
  if (found) fail(found.cause, found.fix);
  const last = output.trim().split('\n').slice(-15).join('\n');
  fail(`cmake-js exited with ${signal ?? `code ${code}`}; its last lines:`, 'read the output above', last);
});
