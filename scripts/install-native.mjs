// `npm install` hook: use a prebuild (or an existing build) when node-gyp-build finds one that loads,
// otherwise compile the addon from source with cmake-js. (node-gyp-build's own CLI always ends in
// `node-gyp rebuild`, which does not apply to a CMake project.)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const fromSource = process.env.npm_config_build_from_source === 'true';

if (!fromSource) {
  try {
    require('node-gyp-build')(root);
    console.log('sam3clip: using the prebuilt native addon');
    process.exit(0);
  } catch {
    // No prebuild fits this platform or Node-API version: build below.
  }
}
const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-native.mjs')], { stdio: 'inherit' });
process.exit(result.status ?? 1);
