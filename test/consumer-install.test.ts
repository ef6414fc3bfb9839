/**
 * The library as its users get it: `npm pack` → a fresh app → `npm install <tarball>` with node and npm
 * on PATH and no cmake, no make, no compiler, onnxruntime-node's download skipped as the README says →
 * ESM and CommonJS scripts on models/shapes-demo, the README's app example verbatim, and `tsc --strict`
 * on TypeScript 5.9 and the newest TypeScript against the published declarations. Then the source
 * build from the unpacked tarball: what it says when a tool is missing, and that it builds when none is.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { categoryMask, demoScene, iou } from '../scripts/fixtures/shapes-image.js';
import { addTools, nodeOnlyPath, packLibrary, readmeBlock, ROOT, writeJson, type Packed } from './support/consumer-app.js';
import { tempDir } from './support/packages.js';

const MODELS = path.join(ROOT, 'models', 'shapes-demo');
const PROMPTS = ['red circle', 'blue square'];
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const SECTION = '### Use it in your app';
const COMPILERS = ['g++', 'gcc', 'c++', 'cc', 'clang', 'clang++', 'as', 'ld', 'ar', 'ranlib'];
const hasGit = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: ROOT }).status === 0;

// Both module systems run the same checks; only the import line differs.
const BODY = `
const models = process.env.MODELS, image = process.env.IMAGE;
const prompts = ${JSON.stringify(PROMPTS)};
const segmenter = await createSegmenter({ models, threads: 1 });
const results = await segmenter.segment(image, prompts);
const embedding = await segmenter.embed(image);
const again = await segmenter.segment(embedding, prompts);
const encoderRuns = segmenter.stats().runs.image_encoder.runs;
const backend = segmenter.backendInfo.name;
const overlay = await renderOverlay(image, results);
const codeOf = (p) => p.then(() => 'resolved', (e) => (e instanceof Sam3ClipError ? e.code + ':' + (e.field ?? '') : String(e)));
const unknownOption = await codeOf(segmenter.segment(image, 'x', { bogus: 1 }));
embedding.dispose();
await segmenter.dispose();
const afterDispose = await codeOf(segmenter.segment(image, 'x'));
process.stdout.write(JSON.stringify({
  results: results.map((r) => ({ prompt: r.prompt, score: r.score, passed: r.passedThreshold, area: r.area,
    width: r.mask.width, height: r.mask.height, mask: Buffer.from(r.mask.data).toString('base64') })),
  sameFromEmbedding: results.every((r, i) => Buffer.compare(Buffer.from(r.mask.data), Buffer.from(again[i].mask.data)) === 0),
  encoderRuns, backend, overlayMagic: overlay.subarray(0, 8).toString('hex'), unknownOption, afterDispose,
  native: capabilities(),
}));
`;
const ESM = `import { createSegmenter, renderOverlay, capabilities, Sam3ClipError } from 'sam3clip';\n${BODY}`;
const CJS = `const { createSegmenter, renderOverlay, capabilities, Sam3ClipError } = require('sam3clip');\n(async () => {${BODY}})().catch((e) => { console.error(e); process.exit(1); });\n`;

const TYPES = `
import { createSegmenter, Sam3ClipError, type SegmentResult, type SegmenterOptions, type ErrorCode } from 'sam3clip';
import { morphology, type Mask } from 'sam3clip/ops';

const options: SegmenterOptions = { models: 'models', cache: { images: 2 } };
// @ts-expect-error an unknown option is a type error too (and E_INVALID_OPTION at run time)
const wrong: SegmenterOptions = { models: 'models', bogus: 1 };
export async function run(image: Buffer): Promise<number> {
  const segmenter = await createSegmenter(options);
  const results: SegmentResult[] = await segmenter.segment(image, 'a red car', { threshold: 0.4, smoothness: 2 });
  using embedding = await segmenter.embed(image);
  const closed: Mask = await morphology(results[0]!.mask, { op: 'close', k: 3 });
  segmenter.on('progress', ({ stage }) => stage.length);
  const code: ErrorCode | undefined = results[0] instanceof Sam3ClipError ? results[0].code : undefined;
  await segmenter.dispose();
  return closed.width + embedding.width + (code ? 1 : 0) + (wrong ? 0 : 1);
}
`;

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const started = Date.now();
  const r = spawnSync('npm', args, { cwd, env, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}`, seconds: (Date.now() - started) / 1000 };
}

function node(file: string, cwd: string, env: NodeJS.ProcessEnv, args: string[] = []) {
  const r = spawnSync(process.execPath, [file, ...args], { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${file} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe.skipIf(!hasGit)('the packed library in a fresh app', () => {
  const work = tempDir('sam3clip-consumer-');
  const app = path.join(work, 'app');
  let packed: Packed;
  let bin: string;
  let install: ReturnType<typeof npm>;
  let env: NodeJS.ProcessEnv;
  const scene = demoScene();
  const image = path.join(app, 'shapes.png');

  beforeAll(async () => {
    packed = packLibrary(work);
    bin = nodeOnlyPath(work);
    mkdirSync(app, { recursive: true });
    writeJson(path.join(app, 'package.json'), { name: 'consumer-app', version: '1.0.0', private: true });
    await sharp(Buffer.from(scene.rgb), { raw: { width: scene.width, height: scene.height, channels: 3 } }).png().toFile(image);
    // The README's install line says how onnxruntime-node's CUDA download is skipped; use the same.
    expect(readmeBlock(README, SECTION, 'sh')).toBe('ONNXRUNTIME_NODE_INSTALL=skip npm install sam3clip\n');
    env = { ...process.env, PATH: bin, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_update_notifier: 'false' };
    delete env.SAM3CLIP_MODELS;
    install = npm(
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts', packed.tarball,
        'typescript@~5.9', 'typescript-latest@npm:typescript@latest', '@types/node'],
      app,
      env,
    );
    console.log(
      `consumer: npm pack ${packed.seconds.toFixed(0)} s (${packed.files} files, ${(packed.bytes / 1024).toFixed(0)} KiB); ` +
        `npm install ${install.seconds.toFixed(0)} s`,
    );
    if (install.status !== 0) throw new Error(`npm install failed:\n${install.output}`);
  }, 600_000);

  it('installs with nothing to compile: the prebuild loads', () => {
    for (const tool of ['cmake', 'make', ...COMPILERS]) expect(existsSync(path.join(bin, tool))).toBe(false);
    expect(install.output).toMatch(/sam3clip: using the prebuilt native addon \d+\.\d+\.\d+ \(no compiler needed\)/);
    const installed = path.join(app, 'node_modules', 'sam3clip');
    expect(existsSync(path.join(installed, 'build'))).toBe(false);
    expect(existsSync(path.join(installed, 'prebuilds', `${process.platform}-${process.arch}`, 'sam3clip.glibc.node'))).toBe(true);
    if (process.platform === 'linux' && process.arch === 'x64') {
      const openvino = path.join(installed, 'prebuilds', 'linux-x64', 'openvino');
      expect(existsSync(path.join(openvino, 'sam3clip_openvino.node'))).toBe(true);
      expect(existsSync(path.join(openvino, 'licenses', 'LICENSE'))).toBe(true);
    }
    expect(existsSync(path.join(app, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so'))).toBe(false);
    expect(install.output).not.toMatch(/Unknown (project|env|cli) config/);
  });

  for (const [kind, file, source] of [['ESM', 'app.mjs', ESM], ['CommonJS', 'app.cjs', CJS]] as const) {
    it(`segments the demo image from ${kind}, reuses the embedding, renders an overlay and disposes`, () => {
      writeFileSync(path.join(app, file), source);
      const out = JSON.parse(node(file, app, { ...env, MODELS, IMAGE: image }));
      expect(out.native).toMatchObject({ cuda: null, tensorrt: null, cpu: { arch: process.arch } });
      expect(out.native.openvino !== null || typeof out.native.openvinoReason === 'string').toBe(true);
      // The prebuild carries the OpenVINO backend and its runtime for x86-64 Linux: 'auto' takes it.
      if (process.platform === 'linux' && process.arch === 'x64') {
        expect(out.native.openvino, out.native.openvinoReason).not.toBeNull();
        expect(out.backend).toBe('openvino');
      }
      expect(out.results.map((r: { prompt: string }) => r.prompt)).toEqual(PROMPTS);
      for (const r of out.results) {
        expect([r.width, r.height]).toEqual([scene.width, scene.height]);
        expect(r.passed).toBe(true);
        const mask = new Uint8Array(Buffer.from(r.mask, 'base64'));
        expect(iou(mask, categoryMask(scene, r.prompt)), r.prompt).toBeGreaterThan(0.8);
      }
      expect(out.sameFromEmbedding).toBe(true);
      expect(out.encoderRuns).toBe(1);
      expect(out.overlayMagic).toBe('89504e470d0a1a0a');
      expect(out.unknownOption).toBe('E_INVALID_OPTION:bogus');
      expect(out.afterDispose).toBe('E_DISPOSED:');
    });
  }

  it("runs the README's app example verbatim", async () => {
    writeFileSync(path.join(app, 'readme-app.mjs'), readmeBlock(README, SECTION, 'js'));
    const stdout = node('readme-app.mjs', app, { ...env, SAM3CLIP_MODELS: MODELS }, [image, 'red circle']);
    expect(stdout).toMatch(/^red circle 0\.\d{3} true \d+ \d+,\d+,\d+,\d+\n$/);
    const { data } = await sharp(path.join(app, 'mask.png')).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect(iou(Uint8Array.from(data, (v) => (v > 127 ? 1 : 0)), categoryMask(scene, 'red circle'))).toBeGreaterThan(0.8);
  });

  it('type-checks a TypeScript app under --strict --module nodenext on TypeScript 5.9 and the newest', () => {
    writeFileSync(path.join(app, 'app.ts'), TYPES);
    for (const ts of ['typescript', 'typescript-latest']) {
      const tsc = path.join(app, 'node_modules', ts, 'bin', 'tsc');
      const version = node(tsc, app, env, ['--version']);
      const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', 'app.ts'], { cwd: app, env, encoding: 'utf8' });
      expect(`${version.trim()}: ${r.stdout}${r.stderr}`).toBe(`${version.trim()}: `);
      expect(r.status).toBe(0);
    }
  });

  describe('where no prebuild fits, the source build from the unpacked tarball', () => {
    const installed = () => path.join(app, 'node_modules', 'sam3clip');
    const rebuild = (pathDirs: string, extra: NodeJS.ProcessEnv = {}) =>
      npm(['rebuild', 'sam3clip', '--foreground-scripts'], app, { ...env, PATH: pathDirs, ...extra });

    it('names the missing compiler, the missing CMake and a missing file', () => {
      const noCompiler = path.join(work, 'bin-no-compiler');
      mkdirSync(noCompiler);
      addTools(noCompiler, ['node', 'cmake', 'make', 'ninja']);
      const a = rebuild(`${noCompiler}:${bin}`, { SAM3CLIP_BUILD_FROM_SOURCE: '1' });
      expect(a.status).not.toBe(0);
      expect(a.output).toMatch(/sam3clip: native build failed: no C\+\+ compiler was found\nTo fix: install a C\+\+17 compiler/);

      const noCmake = path.join(work, 'bin-no-cmake');
      mkdirSync(noCmake);
      addTools(noCmake, ['node', 'make', 'ninja', ...COMPILERS]);
      const b = rebuild(`${noCmake}:${bin}`, { SAM3CLIP_BUILD_FROM_SOURCE: '1' });
      expect(b.status).not.toBe(0);
      expect(b.output).toMatch(/sam3clip: native build failed: CMake is not installed \(or not on PATH\)\nTo fix: install CMake/);

      renameSync(path.join(installed(), 'cmake'), path.join(installed(), 'cmake.moved'));
      try {
        const c = rebuild(process.env.PATH!, { SAM3CLIP_BUILD_FROM_SOURCE: '1' });
        expect(c.status).not.toBe(0);
        expect(c.output).toMatch(/sam3clip: native build failed: a file the build needs is missing: cmake\/tensorrt\.cmake\n/);
      } finally {
        renameSync(path.join(installed(), 'cmake.moved'), path.join(installed(), 'cmake'));
      }
    });

    it('compiles the addon with every file it needs, and the app uses it', () => {
      rmSync(path.join(installed(), 'prebuilds'), { recursive: true });
      const r = rebuild(process.env.PATH!);
      expect(r.output).toMatch(/no prebuilt native addon loads here/);
      expect(r.status, r.output).toBe(0);
      expect(existsSync(path.join(installed(), 'build', 'Release', 'sam3clip.node'))).toBe(true);
      console.log(`consumer: source build (npm rebuild) ${r.seconds.toFixed(0)} s`);
      const check = spawnSync(process.execPath, ['-e', "process.stdout.write(require('sam3clip/package.json').version + ' ' + JSON.stringify(require('sam3clip').capabilities()))"], {
        cwd: app,
        env,
        encoding: 'utf8',
      });
      expect(check.stdout).toMatch(/^\d+\.\d+\.\d+ \{"cuda":null,"tensorrt":null,"cpu":\{"arch":"[a-z0-9]+",/);
    });
  });
});
