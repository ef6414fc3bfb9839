#!/usr/bin/env node
// `npm run prebuilds` (and `npm pack` through prepack): builds the Node-API addon that ships in the
// tarball, prebuilds/<platform>-<arch>/sam3clip.napi.<libc>.node, where node-gyp-build finds it at
// run time, so `npm install sam3clip` compiles nothing. prebuildify names, strips and places the
// file; scripts/prebuildify-cmake-js.mjs stands in for node-gyp and builds with cmake-js in
// build-prebuild/ (CPU only), leaving the development build in build/ alone.
// The new addon is then loaded in a child process: a prebuild that does not load never ships.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, readFileSync, rmSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPENVINO_HOME, OPENVINO_RUNTIME_LIBS } from './openvino-runtime.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const prebuildify = require('prebuildify');
const work = path.join(root, 'build-prebuild');
const folder = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);

rmSync(work, { recursive: true, force: true });
rmSync(folder, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const started = Date.now();
await new Promise((resolve, reject) =>
  prebuildify(
    {
      cwd: work,
      out: root,
      name: 'sam3clip',
      napi: true,
      strip: process.platform === 'linux' || process.platform === 'darwin',
      tagLibc: process.platform === 'linux',
      nodeGyp: `"${process.execPath}" "${path.join(root, 'scripts', 'prebuildify-cmake-js.mjs')}"`,
      shell: true,
    },
    (err) => (err ? reject(err) : resolve()),
  ),
).catch((err) => {
  console.error(`sam3clip: the prebuild failed: ${err.message}`);
  process.exit(1);
});

const files = readdirSync(folder).filter((f) => f.endsWith('.node'));
if (files.length !== 1) {
  console.error(`sam3clip: expected one prebuild in ${folder}, found ${files.join(', ') || 'none'}`);
  process.exit(1);
}
const file = path.join(folder, files[0]);
const check = spawnSync(
  process.execPath,
  [
    '-e',
    `const a = require(${JSON.stringify(file)}); const c = a.capabilities(); ` +
      'process.stdout.write(JSON.stringify({ version: a.version, cuda: c.cuda, tensorrt: c.tensorrt, cpuArch: c.cpu && c.cpu.arch }));',
  ],
  { encoding: 'utf8' },
);
const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
let loaded;
try {
  loaded = JSON.parse(check.stdout);
} catch {
  console.error(`sam3clip: the prebuild ${file} does not load:\n${check.stderr}`);
  process.exit(1);
}
// CPU only (no CUDA, no TensorRT), and it reads the CPU it runs on (capabilities().cpu).
if (loaded.version !== version || loaded.cuda !== null || loaded.tensorrt !== null || loaded.cpuArch !== process.arch) {
  console.error(`sam3clip: the prebuild ${file} is not the CPU build of ${version}: ${check.stdout}`);
  process.exit(1);
}
// The OpenVINO backend: its module and the runtime libraries it loads, in a folder of their own
// (node-gyp-build must see one addon in the platform folder), with OpenVINO's licences.
const openvinoBuilt = path.join(work, 'build', 'Release', 'sam3clip_openvino.node');
let openvinoNote = 'no OpenVINO backend (its runtime was not available to the build)';
if (existsSync(openvinoBuilt)) {
  const dest = path.join(folder, 'openvino');
  mkdirSync(dest, { recursive: true });
  for (const f of readdirSync(path.dirname(openvinoBuilt)))
    if (f === 'sam3clip_openvino.node' || OPENVINO_RUNTIME_LIBS.some((re) => re.test(f))) copyFileSync(path.join(path.dirname(openvinoBuilt), f), path.join(dest, f));
  // prebuildify copies the build folder's shared libraries beside the addon too; they belong here only.
  for (const f of readdirSync(folder)) if (OPENVINO_RUNTIME_LIBS.some((re) => re.test(f))) rmSync(path.join(folder, f));
  if (process.platform === 'linux') spawnSync('strip', ['--strip-unneeded', path.join(dest, 'sam3clip_openvino.node')]);
  const licences = readdirSync(OPENVINO_HOME).find((f) => f.endsWith('.dist-info'));
  if (licences) cpSync(path.join(OPENVINO_HOME, licences, 'licenses'), path.join(dest, 'licenses'), { recursive: true });
  const ov = spawnSync(
    process.execPath,
    ['-e', `const a = require(${JSON.stringify(path.join(dest, 'sam3clip_openvino.node'))}); process.stdout.write(JSON.stringify({ version: a.version, openvino: a.openvinoVersion(), device: a.cpuDevice() }));`],
    { encoding: 'utf8' },
  );
  let ovLoaded;
  try {
    ovLoaded = JSON.parse(ov.stdout);
  } catch {
    console.error(`sam3clip: the OpenVINO prebuild in ${dest} does not load:\n${ov.stderr}`);
    process.exit(1);
  }
  const bytes = readdirSync(dest).reduce((n, f) => n + (statSync(path.join(dest, f)).isFile() ? statSync(path.join(dest, f)).size : 0), 0);
  openvinoNote = `OpenVINO ${ovLoaded.openvino.split('-')[0]} backend in ${path.relative(root, dest)} (${(bytes / 1024 / 1024).toFixed(0)} MiB with its runtime)`;
}

// The newest GLIBC_x.y symbol version it links against is the oldest glibc it runs on.
const glibc = [...readFileSync(file).toString('latin1').matchAll(/GLIBC_(\d+)\.(\d+)/g)]
  .map((m) => [Number(m[1]), Number(m[2])])
  .sort((a, b) => a[0] - b[0] || a[1] - b[1])
  .pop();
rmSync(work, { recursive: true, force: true });
console.log(
  `sam3clip: prebuild ${path.relative(root, file)} (${(statSync(file).size / 1024).toFixed(0)} KiB` +
    `${glibc ? `, needs glibc >= ${glibc.join('.')}` : ''}) built in ${((Date.now() - started) / 1000).toFixed(0)} s; ${openvinoNote}`,
);
