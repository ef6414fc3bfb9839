#!/usr/bin/env node
// Stands in for node-gyp under prebuildify (scripts/build-prebuilds.mjs). prebuildify runs
// `<this> rebuild --target=<node version> --devdir=... --arch=... --release` in its working
// folder and then takes the .node file from <that folder>/build/Release/; this translates that
// into a clean cmake-js build of the addon alone, in the prebuild flavour: CPU only (no CUDA, no
// TensorRT, whatever this machine has). The C++ runtime stays dynamic: linked statically it would
// pull in symbols of the build machine's glibc (arc4random, _dl_find_object: glibc >= 2.36), while
// the dynamic build asks only for GLIBCXX_3.4.21 (GCC 5) and glibc >= 2.32.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const forwarded = [
  'rebuild',
  '--target=sam3clip',
  `--out=${path.join(process.cwd(), 'build')}`,
  '--CDSAM3CLIP_WITH_CUDA=OFF',
  '--CDSAM3CLIP_WITH_TENSORRT=OFF',
];
for (const arg of process.argv.slice(2)) {
  const [name, value] = arg.split(/=(.*)/s);
  if (name === '--target') forwarded.push(`--runtime-version=${value}`);
  else if (name === '--arch') forwarded.push(`--arch=${value}`);
  else if (name === '--runtime') forwarded.push(`--runtime=${value}`);
  else if (name === '--debug') {
    console.error('prebuildify-cmake-js: prebuilds are release builds; --debug is not supported');
    process.exit(1);
  }
  // rebuild, --release and --devdir need nothing: Node-API builds download no headers.
  // --dist-url (Electron headers) is likewise unused.
}
const build = (args) => spawnSync(process.execPath, [path.join(root, 'scripts', 'build-native.mjs'), ...args], { cwd: root, stdio: 'inherit' }).status ?? 1;
let status = build(forwarded);
// The OpenVINO backend's module, in the same build folder, where it was configured (its runtime was
// found or fetched); scripts/build-prebuilds.mjs ships it with its libraries beside the addon.
if (status === 0 && process.env.SAM3CLIP_WITH_OPENVINO !== 'OFF') {
  const cache = path.join(process.cwd(), 'build', 'CMakeCache.txt');
  if (existsSync(cache) && /SAM3CLIP_OPENVINO_BUILT:INTERNAL=ON/.test(readFileSync(cache, 'utf8')))
    status = build(['--target=sam3clip_openvino', ...forwarded.slice(2)]);
}
process.exit(status);
