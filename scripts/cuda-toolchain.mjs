#!/usr/bin/env node
// Finds a CUDA compiler for the kernel build, installing NVIDIA's CUDA 13 compiler and runtime
// wheels from PyPI into .cuda-venv/ (git-ignored) when the machine has none, so that CI — which
// has no GPU and no CUDA — still compiles every kernel. Prints the nvcc path on stdout; prints
// why on stderr and nothing on stdout when no compiler can be had (no python3/pip).
//
//   node scripts/cuda-toolchain.mjs          # find or install, print nvcc
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const venv = path.join(root, '.cuda-venv');
// Pinned so every machine compiles with the same toolkit.
const WHEELS = ['nvidia-cuda-nvcc==13.5.37', 'nvidia-cuda-runtime==13.5.37', 'nvidia-cuda-crt==13.5.37', 'nvidia-cuda-cccl==13.3.5.0.6'];

function onPath(exe) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, exe);
    if (dir && existsSync(file)) return file;
  }
  return undefined;
}

function inVenv() {
  const lib = path.join(venv, 'lib');
  if (!existsSync(lib)) return undefined;
  for (const py of readdirSync(lib)) {
    const nvidia = path.join(lib, py, 'site-packages', 'nvidia');
    if (!existsSync(nvidia)) continue;
    for (const cu of readdirSync(nvidia)) {
      const nvcc = path.join(nvidia, cu, 'bin', 'nvcc');
      if (existsSync(nvcc)) return nvcc;
    }
  }
  return undefined;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return r.status === 0;
}

export function findNvcc() {
  return process.env.CUDACXX || onPath('nvcc') || inVenv();
}

export function ensureNvcc() {
  const found = findNvcc();
  if (found) return { nvcc: found };
  const python = onPath('python3');
  if (!python) return { reason: 'no nvcc on PATH or in $CUDACXX, and no python3 to install the CUDA wheels' };
  process.stderr.write(`sam3clip: installing the CUDA 13 compiler wheels into ${venv} (once)\n`);
  if (!existsSync(path.join(venv, 'bin', 'pip')) && !run(python, ['-m', 'venv', venv]))
    return { reason: 'python3 -m venv failed' };
  if (!run(path.join(venv, 'bin', 'pip'), ['install', '--quiet', ...WHEELS])) return { reason: `pip install ${WHEELS.join(' ')} failed` };
  const nvcc = inVenv();
  return nvcc ? { nvcc } : { reason: 'the CUDA wheels installed no nvcc' };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = ensureNvcc();
  if (result.nvcc) process.stdout.write(`${result.nvcc}\n`);
  else process.stderr.write(`sam3clip: no CUDA compiler: ${result.reason}\n`);
}
