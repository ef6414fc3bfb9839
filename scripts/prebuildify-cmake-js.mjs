#!/usr/bin/env node
// Stands in for node-gyp under `prebuildify --node-gyp scripts/prebuildify-cmake-js.mjs`.
// prebuildify runs `<this> rebuild --target=<node version> --devdir=... --arch=... --release`
// and then takes the .node file from build/Release/; this translates that into a clean cmake-js
// build of the addon alone, which lands in build/Release/sam3clip.node.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const forwarded = ['rebuild', '--target=sam3clip'];
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
const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-native.mjs'), ...forwarded], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
