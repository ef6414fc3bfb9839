#!/usr/bin/env node
// Builds the native addon (build/Release/sam3clip.node) and the native test and benchmark
// executables with cmake-js, in Release. `rebuild` as the first argument cleans first; other
// arguments go to cmake-js (for example --arch=arm64, --target=sam3clip, --CDSAM3CLIP_WITH_CUDA=OFF). Offline: package.json's binary.napi_versions makes cmake-js
// use the node-api-headers package instead of downloading Node's headers.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));

function fail(message) {
  console.error(`\nsam3clip: native build failed: ${message}`);
  console.error('It needs CMake >= 3.19 and a C++17 compiler (g++ >= 9, clang >= 10, or MSVC 2019+).');
  process.exit(1);
}

let cmakeJs;
try {
  cmakeJs = path.join(path.dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
} catch {
  fail('cmake-js is not installed (npm install).');
}

const parallel = String(Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
const extra = process.argv.slice(2);
const command = extra[0] === 'rebuild' ? extra.shift() : 'build';
const args = [cmakeJs, command, '--directory', root, '--config', 'Release', '--parallel', parallel, ...extra];
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (result.error) fail(result.error.message);
if (result.status !== 0) fail(`cmake-js exited with ${result.signal ?? `code ${result.status}`}; see the output above.`);
