/**
 * Remembered verified hashes: a second start reads no model file, and any change to a file (even
 * one that keeps its size and mtime) is still caught.
 */
import { execFile } from 'node:child_process';
import fs, { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSegmenter, loadModelPackage } from '../dist/index.js';
import { tempDir } from './support/packages.js';

const CLI = path.resolve(__dirname, '../dist/cli/main.js');
const FIXTURE = path.resolve(__dirname, 'fixtures/sam3-tiny');
/** Every file the fixture's manifest lists. */
const FILES = Object.values(JSON.parse(readFileSync(path.join(FIXTURE, 'manifest.json'), 'utf8')).files as Record<string, { path: string }>).map((f) => f.path);
const N = FILES.length;
const CACHE_FILE = 'verified-hashes.json';
// A whole second, so that setting it back with utimes restores the nanoseconds exactly.
const OLD_MTIME = new Date('2024-01-02T03:04:05Z');

/** Package copies made (and settled) before the tests, by name. */
const packages: Record<string, string> = {};

function copyPackage(name: string): string {
  const dir = path.join(tempDir(), name);
  cpSync(FIXTURE, dir, { recursive: true });
  for (const file of FILES) utimesSync(path.join(dir, file), OLD_MTIME, OLD_MTIME);
  return dir;
}

beforeAll(async () => {
  for (const name of ['shared', 'rewritten', 'renamed', 'segmenter', 'decayed']) packages[name] = copyPackage(name);
  // A match is remembered only for a file that changed more than 2 s before it was read.
  await sleep(2100);
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The model files the loader opens for reading during `run`. */
async function filesRead(run: () => Promise<unknown>): Promise<string[]> {
  const spy = vi.spyOn(fs, 'createReadStream');
  try {
    await run();
    return spy.mock.calls.map((call) => path.basename(String(call[0]))).sort();
  } finally {
    spy.mockRestore();
  }
}

const cacheEntries = (cache: string): Record<string, { sha256: string; ctimeNs: string }> =>
  JSON.parse(readFileSync(path.join(cache, CACHE_FILE), 'utf8')).files;

/** `file`'s bytes with its last byte flipped: same size, different content. */
function flippedLastByte(file: string): Buffer {
  const bytes = readFileSync(file);
  bytes[bytes.length - 1]! ^= 0xff;
  return bytes;
}

describe('verified hashes in the model cache', () => {
  it('a second load reads no model file and reports them as remembered', async () => {
    const cache = tempDir();
    const dir = packages.shared!;
    let first!: Awaited<ReturnType<typeof loadModelPackage>>;
    expect(await filesRead(async () => (first = await loadModelPackage(dir, { hashCache: cache })))).toEqual([...FILES].sort());
    expect(first.verification).toEqual({ hashed: N, remembered: 0 });
    expect(Object.keys(cacheEntries(cache)).sort()).toEqual(FILES.map((f) => path.join(dir, f)).sort());

    let second!: Awaited<ReturnType<typeof loadModelPackage>>;
    expect(await filesRead(async () => (second = await loadModelPackage(dir, { hashCache: cache })))).toEqual([]);
    expect(second.verification).toEqual({ hashed: 0, remembered: N });
    expect(second.paths).toEqual(first.paths);
  });

  it.each([
    ['rewritten in place, with its mtime set back', 'rewritten'],
    ['replaced by a same-size copy renamed onto it, mtime preserved', 'renamed'],
  ])('a file %s is still caught (E_MODEL_FILE) and forgotten', async (_how, name) => {
    const cache = tempDir();
    const dir = packages[name]!;
    await loadModelPackage(dir, { hashCache: cache });
    const file = path.join(dir, 'text_projection.onnx');
    const before = statSync(file, { bigint: true });
    if (name === 'rewritten') {
      writeFileSync(file, flippedLastByte(file));
    } else {
      const copy = `${file}.new`;
      writeFileSync(copy, flippedLastByte(file));
      renameSync(copy, file);
    }
    utimesSync(file, OLD_MTIME, OLD_MTIME);
    const after = statSync(file, { bigint: true });
    // Only the status-change time (and, for the rename, the inode) tells this file from the one remembered.
    expect(after.size).toBe(before.size);
    expect(after.mtimeNs).toBe(before.mtimeNs);
    expect(after.ctimeNs).not.toBe(before.ctimeNs);

    await expect(loadModelPackage(dir, { hashCache: cache })).rejects.toMatchObject({
      code: 'E_MODEL_FILE',
      file,
      field: 'files.text_projection.sha256',
    });
    expect(Object.keys(cacheEntries(cache))).not.toContain(file);
    expect(Object.keys(cacheEntries(cache))).toHaveLength(N - 1);
  });

  it.each([
    ['not JSON', () => '{ "format": "sam3clip-verified-hashes", "vers'],
    ['the wrong shape', () => JSON.stringify({ format: 'sam3clip-verified-hashes', version: 1, files: [1, 2, 3] })],
    ['an empty file', () => ''],
  ])('a cache file that is %s is ignored, then rewritten', async (_what, contents) => {
    const cache = tempDir();
    writeFileSync(path.join(cache, CACHE_FILE), contents(), { mode: 0o600 });
    expect((await loadModelPackage(packages.shared!, { hashCache: cache })).verification).toEqual({ hashed: N, remembered: 0 });
    expect((await loadModelPackage(packages.shared!, { hashCache: cache })).verification).toEqual({ hashed: 0, remembered: N });
  });

  it('a remembered hash that disagrees with the manifest is not taken: the file is read', async () => {
    const cache = tempDir();
    await loadModelPackage(packages.shared!, { hashCache: cache });
    const json = JSON.parse(readFileSync(path.join(cache, CACHE_FILE), 'utf8'));
    json.files[path.join(packages.shared!, 'tokenizer.json')].sha256 = '0'.repeat(64);
    writeFileSync(path.join(cache, CACHE_FILE), JSON.stringify(json), { mode: 0o600 });
    expect((await loadModelPackage(packages.shared!, { hashCache: cache })).verification).toEqual({ hashed: 1, remembered: N - 1 });
  });

  it('a cache file others can write is ignored: it could vouch for any file', async () => {
    const cache = tempDir();
    await loadModelPackage(packages.shared!, { hashCache: cache });
    fs.chmodSync(path.join(cache, CACHE_FILE), 0o666);
    expect((await loadModelPackage(packages.shared!, { hashCache: cache })).verification).toEqual({ hashed: N, remembered: 0 });
  });

  it('a cache folder that cannot be made is ignored', async () => {
    const blocker = path.join(tempDir(), 'a-file');
    writeFileSync(blocker, '');
    const cache = path.join(blocker, 'cache');
    expect((await loadModelPackage(packages.shared!, { hashCache: cache })).verification).toEqual({ hashed: N, remembered: 0 });
    expect((await loadModelPackage(packages.shared!, { hashCache: cache })).verification).toEqual({ hashed: N, remembered: 0 });
  });

  it('a file changed moments before it was read is verified but not remembered', async () => {
    const cache = tempDir();
    const fresh = path.join(tempDir(), 'fresh');
    cpSync(FIXTURE, fresh, { recursive: true });
    expect((await loadModelPackage(fresh, { hashCache: cache })).verification).toEqual({ hashed: N, remembered: 0 });
    expect((await loadModelPackage(fresh, { hashCache: cache })).verification).toEqual({ hashed: N, remembered: 0 });
  });

  it('rehash reads every file even where a match is remembered', async () => {
    const cache = tempDir();
    await loadModelPackage(packages.shared!, { hashCache: cache });
    expect((await loadModelPackage(packages.shared!, { hashCache: cache, rehash: true })).verification).toEqual({ hashed: N, remembered: 0 });
    expect((await loadModelPackage(packages.shared!, { hashCache: cache })).verification).toEqual({ hashed: 0, remembered: N });
  });

  it('verifyHashes false neither reads nor writes the cache', async () => {
    const cache = tempDir();
    expect((await loadModelPackage(packages.shared!, { hashCache: cache, verifyHashes: false })).verification).toEqual({
      hashed: 0,
      remembered: 0,
    });
    expect(readdirSync(cache)).toEqual([]);
  });

  it('loads writing one cache at once leave it whole, with no temporary files behind', async () => {
    const cache = tempDir();
    await Promise.all(Array.from({ length: 6 }, () => loadModelPackage(packages.shared!, { hashCache: cache })));
    expect(readdirSync(cache)).toEqual([CACHE_FILE]);
    expect(Object.keys(cacheEntries(cache))).toHaveLength(N);
  });

  it('sam3clip info reads every file for real, and a bad file it finds is not taken as verified next start', async () => {
    const cache = tempDir();
    const dir = packages.decayed!;
    await loadModelPackage(dir, { hashCache: cache });
    // Bytes that change under an unchanged identity (a failing disk) are what the memory cannot see:
    // stand in for that by changing the file and then the remembered identity to match.
    const file = path.join(dir, 'mask_decoder.onnx');
    writeFileSync(file, flippedLastByte(file));
    const now = statSync(file, { bigint: true });
    const json = JSON.parse(readFileSync(path.join(cache, CACHE_FILE), 'utf8'));
    Object.assign(json.files[file], { ctimeNs: String(now.ctimeNs), mtimeNs: String(now.mtimeNs), ino: String(now.ino) });
    writeFileSync(path.join(cache, CACHE_FILE), JSON.stringify(json), { mode: 0o600 });
    expect((await loadModelPackage(dir, { hashCache: cache })).verification).toEqual({ hashed: 0, remembered: N });

    const info = await promisify(execFile)(process.execPath, [CLI, 'info', '--models', dir], {
      env: { ...process.env, SAM3CLIP_CACHE_DIR: cache },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(info.code).toBe(1);
    expect(info.stderr).toMatch(/E_MODEL_FILE.*mask_decoder\.onnx/);
    await expect(loadModelPackage(dir, { hashCache: cache })).rejects.toMatchObject({ code: 'E_MODEL_FILE', file });
  });

  it('the segmenter remembers in its modelCache folder, and modelCache false keeps nothing', async () => {
    const dir = packages.segmenter!;
    const cache = path.join(tempDir(), 'model-cache');
    const on = await createSegmenter({ models: dir, backend: 'cpu', threads: 1, modelCache: cache });
    await on.dispose();
    expect(Object.keys(cacheEntries(cache)).sort()).toEqual(FILES.map((f) => path.join(dir, f)).sort());

    const fromEnv = path.join(tempDir(), 'env-cache');
    mkdirSync(fromEnv);
    vi.stubEnv('SAM3CLIP_CACHE_DIR', fromEnv);
    try {
      const off = await createSegmenter({ models: dir, backend: 'cpu', threads: 1, modelCache: false });
      await off.dispose();
      expect(readdirSync(fromEnv)).toEqual([]);
      const env = await createSegmenter({ models: dir, backend: 'cpu', threads: 1 });
      await env.dispose();
      expect(existsSync(path.join(fromEnv, CACHE_FILE))).toBe(true);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
