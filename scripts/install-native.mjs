// `npm install` hook: use a prebuild (or an existing build) when node-gyp-build finds one that loads,
// otherwise compile the addon from source with cmake-js. (node-gyp-build's own CLI always ends in
// `node-gyp rebuild`, which does not apply to a CMake project.)
//
// npm hides an install script's output unless it fails (or --foreground-scripts is given), so the
// source build also reports its progress on the terminal itself (/dev/tty) when there is one.
import { spawn } from 'node:child_process';
import { openSync, writeSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
// npm's --build-from-source convention, or SAM3CLIP_BUILD_FROM_SOURCE=1 (which npm 11 does not warn about).
const fromSource = process.env.npm_config_build_from_source === 'true' || process.env.SAM3CLIP_BUILD_FROM_SOURCE === '1';

if (!fromSource) {
  try {
    const addon = require('node-gyp-build')(root);
    console.log(`sam3clip: using the prebuilt native addon ${addon.version} (no compiler needed)`);
    process.exit(0);
  } catch (error) {
    // No prebuild fits this platform, libc or Node-API version, or it does not load here.
    console.error(`sam3clip: no prebuilt native addon loads here (${error.message.split('\n')[0]})`);
  }
}

let tty = -1;
if (process.platform !== 'win32' && !process.stderr.isTTY) {
  try {
    tty = openSync('/dev/tty', 'w');
  } catch {
    // No controlling terminal (CI, a container): the output reaches npm's log only.
  }
}
const say = (text) => {
  if (tty >= 0) writeSync(tty, text);
};

say('sam3clip: no prebuilt addon fits this system; compiling it from source (CMake + C++17; a minute or two)\n');
const child = spawn(process.execPath, [path.join(root, 'scripts', 'build-native.mjs')], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'pipe'],
});
let last = '';
child.stdout.setEncoding('utf8').on('data', (chunk) => {
  process.stdout.write(chunk);
  // Ninja and make number their steps: "[7/16] Building CXX object ...".
  const steps = [...chunk.matchAll(/\[\s*(\d+)\/(\d+)\]/g)].pop();
  if (steps && steps[0] !== last) {
    last = steps[0];
    say(`\rsam3clip: compiling ${steps[1]}/${steps[2]} `);
  }
});
child.stderr.setEncoding('utf8').on('data', (chunk) => {
  process.stderr.write(chunk);
  // The diagnosis is the last thing the build prints; show it where the user looks.
  const failure = chunk.match(/sam3clip: native build failed:[^]*/);
  if (failure) say(`\n${failure[0]}`);
});
child.on('close', (code) => {
  if (code === 0) say('\nsam3clip: native addon built\n');
  if (tty >= 0) closeSync(tty);
  process.exit(code ?? 1);
});
