#!/usr/bin/env node
// Finds the OpenVINO runtime the OpenVINO backend builds against, fetching Intel's `openvino` wheel
// from PyPI into .openvino/ (git-ignored) when it is not there yet: the wheel holds the headers,
// OpenVINOConfig.cmake and the libraries (libopenvino, the CPU plugin, the ONNX frontend, TBB). Only
// its C++ parts are unpacked, so the Python version that downloads it does not matter. Prints the
// folder holding OpenVINOConfig.cmake on stdout; prints why on stderr and nothing on stdout when the
// runtime cannot be had (not x86-64 Linux, no python3/pip, no registry).
//
//   node scripts/openvino-runtime.mjs         # find or fetch, print the cmake folder
//   OPENVINO_DIR=/opt/intel/openvino/runtime/cmake   # use another OpenVINO instead (no fetch)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OPENVINO_HOME = path.join(root, '.openvino');
// Pinned: the prebuild ships these libraries, and the tests' BF16 bounds were measured with them.
export const OPENVINO_VERSION = '2026.4.1';
const cmakeDir = path.join(OPENVINO_HOME, 'openvino', 'cmake');
const stamp = path.join(OPENVINO_HOME, `version-${OPENVINO_VERSION}`);

/** The runtime libraries a consumer needs beside the addon (the rest of the wheel is other devices and frontends). */
export const OPENVINO_RUNTIME_LIBS = [
  /^libopenvino\.so\.\d+$/,
  /^libopenvino_intel_cpu_plugin\.so$/,
  /^libopenvino_onnx_frontend\.so\.\d+$/,
  // Compiled blobs (the modelCache) hold OpenVINO IR, which the CPU plugin reads back with it.
  /^libopenvino_ir_frontend\.so\.\d+$/,
  /^libtbb\.so\.\d+$/,
  /^libtbbbind_2_5\.so\.\d+$/,
  /^libtbbmalloc\.so\.\d+$/,
  /^libhwloc\.so\.\d+$/,
];

export function openvinoLibDir() {
  return path.join(OPENVINO_HOME, 'openvino', 'libs');
}

function python() {
  for (const exe of ['python3', 'python']) {
    const r = spawnSync(exe, ['--version'], { stdio: 'ignore' });
    if (r.status === 0) return exe;
  }
  return undefined;
}

// The wheel's C++ parts (and its licences) only: headers, CMake config, libraries.
const UNPACK = `
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(('openvino/include/', 'openvino/cmake/', 'openvino/libs/')) or '.dist-info/licenses/' in name:
            z.extract(name, dest)
`;

export function findOpenVino() {
  if (process.env.OPENVINO_DIR) return { cmakeDir: process.env.OPENVINO_DIR, fetched: false };
  if (existsSync(stamp) && existsSync(path.join(cmakeDir, 'OpenVINOConfig.cmake'))) return { cmakeDir, fetched: false };
  return undefined;
}

export function ensureOpenVino() {
  const found = findOpenVino();
  if (found) return found;
  if (process.env.SAM3CLIP_WITH_OPENVINO === 'OFF') return { reason: 'SAM3CLIP_WITH_OPENVINO=OFF' };
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return { reason: `the OpenVINO backend is built on x86-64 Linux only (this is ${process.platform}-${process.arch}); set OPENVINO_DIR to build it elsewhere` };
  const py = python();
  if (!py) return { reason: 'no python3 to fetch the openvino wheel with pip (or set OPENVINO_DIR)' };
  process.stderr.write(`sam3clip: fetching the OpenVINO ${OPENVINO_VERSION} runtime (the openvino wheel from PyPI) into ${OPENVINO_HOME} (once)\n`);
  rmSync(OPENVINO_HOME, { recursive: true, force: true });
  const wheels = path.join(OPENVINO_HOME, 'wheel');
  mkdirSync(wheels, { recursive: true });
  // --platform/--python-version pin the one wheel whose libraries the prebuild carries, whatever
  // Python runs pip (their C++ libraries do not depend on it).
  const download = spawnSync(
    py,
    ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:',
      '--platform', 'manylinux_2_28_x86_64', '--python-version', '3.11', '--implementation', 'cp',
      `openvino==${OPENVINO_VERSION}`, '-d', wheels],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (download.status !== 0) return { reason: `pip download openvino==${OPENVINO_VERSION} failed` };
  const wheel = readdirSync(wheels).find((f) => f.endsWith('.whl'));
  if (!wheel) return { reason: 'pip downloaded no openvino wheel' };
  const unpack = spawnSync(py, ['-c', UNPACK, path.join(wheels, wheel), OPENVINO_HOME], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (unpack.status !== 0) return { reason: 'unpacking the openvino wheel failed' };
  rmSync(wheels, { recursive: true, force: true });
  // The wheel ships versioned names only (libopenvino.so.2641); CMake's config finds them as they are.
  writeFileSync(stamp, `${wheel}\n`);
  return { cmakeDir, fetched: true };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = ensureOpenVino();
  if (result.cmakeDir) process.stdout.write(`${result.cmakeDir}\n`);
  else process.stderr.write(`sam3clip: no OpenVINO runtime: ${result.reason}\n`);
}
