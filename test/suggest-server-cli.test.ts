import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Sam3ClipServer } from '../dist/server/create-server.js';

// sam3-tiny plus CLIP's image tower (scripts/export/make_suggest_fixture.py) and its PyTorch ranking.
const PACKAGE = path.resolve(__dirname, 'fixtures/sam3-suggest-tiny');
const NO_TOWER = path.resolve(__dirname, 'fixtures/sam3-tiny');
const PHOTO = path.resolve(__dirname, '../../shared/images/chelsea.png');
const CLI = path.resolve(__dirname, '../dist/cli/main.js');
const reference = JSON.parse(fs.readFileSync(path.resolve(__dirname, 'fixtures/sam3-suggest-tiny-reference.json'), 'utf8'));
const chelseaTop: string[] = reference.cases.find((c: { image: string }) => c.image === 'chelsea.png').top.map((t: { text: string }) => t.text);
const run = promisify(execFile);
const haveImage = fs.existsSync(PHOTO);

async function cli(args: string[]) {
  const env = { ...process.env, SAM3CLIP_CACHE_DIR: '0' };
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe.skipIf(!haveImage)('sam3clip suggest (CLI)', () => {
  it('prints the top names, and --json the same as { suggestions }', async () => {
    const text = await cli(['suggest', PHOTO, '--models', PACKAGE, '--top', '3', '--backend', 'cpu']);
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split('\n').map((l) => l.split('\t')[0])).toEqual(chelseaTop.slice(0, 3));
    const json = await cli(['suggest', PHOTO, '--models', PACKAGE, '--top', '3', '--backend', 'cpu', '--json']);
    expect(JSON.parse(json.stdout).suggestions.map((s: { text: string }) => s.text)).toEqual(chelseaTop.slice(0, 3));
  });

  it('reads --vocabulary from a file, one name a line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sam3clip-vocab-'));
    const file = path.join(dir, 'names.txt');
    fs.writeFileSync(file, '# pets\ncat\n\ndog\n');
    const r = await cli(['suggest', PHOTO, '--models', PACKAGE, '--vocabulary', file, '--backend', 'cpu', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).suggestions.map((s: { text: string }) => s.text).sort()).toEqual(['cat', 'dog']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('says to export with --clip-image-tower on a package without it', async () => {
    const r = await cli(['suggest', PHOTO, '--models', NO_TOWER, '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error E_INVALID_OPTION: .*--clip-image-tower/);
  });
});

describe.skipIf(!haveImage)('/api/suggest', () => {
  let app: Sam3ClipServer;
  let base: string;
  const photo = haveImage ? fs.readFileSync(PHOTO) : Buffer.alloc(0);

  beforeAll(async () => {
    app = createServer({ port: 0, models: PACKAGE, segmenterOptions: { backend: 'cpu', modelCache: false, threads: 1 } });
    const { port } = await app.listen();
    base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 600 && (await (await fetch(`${base}/api/health`)).json()).status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 50));
  }, 60_000);

  afterAll(async () => {
    await app?.close();
  });

  const upload = (fields: Record<string, string>, image?: Buffer) => {
    const f = new FormData();
    if (image) f.append('image', new Blob([image], { type: 'image/png' }), 'upload');
    for (const [k, v] of Object.entries(fields)) f.append(k, v);
    return f;
  };

  it('health says the package can suggest', async () => {
    expect(await (await fetch(`${base}/api/health`)).json()).toMatchObject({ status: 'ready', suggest: true });
  });

  it('POST with an image and GET by imageId give the reference ranking', async () => {
    const posted = await fetch(`${base}/api/suggest`, { method: 'POST', body: upload({ top: '4' }, photo) });
    expect(posted.status).toBe(200);
    expect((await posted.json()).suggestions.map((s: { text: string }) => s.text)).toEqual(chelseaTop.slice(0, 4));
    const embedded = await (await fetch(`${base}/api/embed`, { method: 'POST', body: upload({}, photo) })).json();
    const got = await fetch(`${base}/api/suggest?imageId=${embedded.id}&top=4`);
    expect(got.status).toBe(200);
    expect((await got.json()).suggestions.map((s: { text: string }) => s.text)).toEqual(chelseaTop.slice(0, 4));
  });

  it('takes a vocabulary as JSON or as lines, and verify', async () => {
    for (const vocabulary of ['["cat","dog"]', 'cat\ndog']) {
      const r = await (await fetch(`${base}/api/suggest`, { method: 'POST', body: upload({ vocabulary, verify: 'true' }, photo) })).json();
      expect(Array.isArray(r.suggestions)).toBe(true);
      for (const s of r.suggestions) expect(['cat', 'dog']).toContain(s.text), expect(s.instances).toBe(1);
    }
  });

  it('answers 404 for an unknown imageId and 400 for a bad top', async () => {
    const unknown = await fetch(`${base}/api/suggest?imageId=nope`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('E_UNKNOWN_IMAGE');
    const bad = await fetch(`${base}/api/suggest`, { method: 'POST', body: upload({ top: '0' }, photo) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('E_INVALID_OPTION');
  });
});
