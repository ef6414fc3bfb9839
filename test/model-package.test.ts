import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSegmenter, loadModelPackage } from '../dist/index.js';
import { makePackage, tempDir } from './support/packages.js';

let pristine: string;

beforeAll(async () => {
  pristine = await makePackage('stretch');
});

/** A copy of the fixture package, changed by `edit`. */
function variant(edit: (dir: string, manifest: Record<string, any>) => void): string {
  const dir = path.join(tempDir(), 'pkg');
  cpSync(pristine, dir, { recursive: true });
  const manifestPath = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  edit(dir, manifest);
  writeFileSync(manifestPath, JSON.stringify(manifest));
  return dir;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function loadError(dir: string) {
  const error = await createSegmenter({ models: dir, threads: 1 }).then(
    (s) => {
      void s.dispose();
      return undefined;
    },
    (e: unknown) => e as { code: string; message: string; file?: string; field?: string },
  );
  expect(error, 'loading should fail').toBeDefined();
  return error!;
}

describe('model package validation', () => {
  it('loads the pristine package', async () => {
    const pkg = await loadModelPackage(pristine);
    expect(pkg.manifest.image.resize).toBe('stretch');
  });

  it('missing folder or manifest → E_MODEL_MANIFEST naming the file', async () => {
    const error = await loadError(path.join(tempDir(), 'nothing-here'));
    expect(error.code).toBe('E_MODEL_MANIFEST');
    expect(error.message).toMatch(/manifest\.json is missing/);
  });

  it('manifest that is not JSON → E_MODEL_MANIFEST', async () => {
    const dir = variant(() => {});
    writeFileSync(path.join(dir, 'manifest.json'), '{ not json');
    expect((await loadError(dir)).code).toBe('E_MODEL_MANIFEST');
  });

  it.each([
    ['formatVersion', (m: any) => (m.formatVersion = 99)],
    ['image.size', (m: any) => (m.image.size = 'big')],
    ['image.resize', (m: any) => (m.image.resize = 'crop')],
    ['image.std', (m: any) => (m.image.std = [0.5, 0, 0.5])],
    ['tokenizer.contextLength', (m: any) => delete m.tokenizer.contextLength],
    ['dims.embeddingSize', (m: any) => (m.dims.embeddingSize = [16])],
    ['files.mask_decoder', (m: any) => delete m.files.mask_decoder],
    ['files.text_encoder.path', (m: any) => (m.files.text_encoder.path = '../escape.onnx')],
    ['files.tokenizer.sha256', (m: any) => (m.files.tokenizer.sha256 = 'abc')],
  ])('bad field %s → E_MODEL_MANIFEST naming it', async (field, edit) => {
    const error = await loadError(variant((_, m) => edit(m)));
    expect(error.code).toBe('E_MODEL_MANIFEST');
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
  });

  it('a path with a file missing, a file of no path, or no path at all → E_MODEL_MANIFEST naming the field', async () => {
    const half = await loadError(variant((_, m) => delete m.files.text_projection));
    expect([half.code, half.field]).toEqual(['E_MODEL_MANIFEST', 'files.text_projection']);
    expect(half.message).toMatch(/text_encoder, text_projection, tokenizer come together/);
    const unknown = await loadError(variant((_, m) => (m.files.detector = m.files.mask_decoder)));
    expect([unknown.code, unknown.field]).toEqual(['E_MODEL_MANIFEST', 'files.detector']);
    const none = await loadError(
      variant((_, m) => {
        for (const key of ['text_encoder', 'text_projection', 'tokenizer']) delete m.files[key];
      }),
    );
    expect([none.code, none.field]).toEqual(['E_MODEL_MANIFEST', 'files']);
    expect(none.message).toMatch(/neither the text path .* nor the interactive one/);
  });

  it('missing graph file → E_MODEL_FILE naming the file', async () => {
    const dir = variant((d) => rmSync(path.join(d, 'text_encoder.onnx')));
    const error = await loadError(dir);
    expect(error.code).toBe('E_MODEL_FILE');
    expect(error.file).toBe(path.join(dir, 'text_encoder.onnx'));
    expect(error.field).toBe('files.text_encoder');
  });

  it('file that does not match its hash → E_MODEL_FILE', async () => {
    const dir = variant((d) => {
      const f = path.join(d, 'mask_decoder.onnx');
      const bytes = readFileSync(f);
      bytes[bytes.length - 1] ^= 0xff;
      writeFileSync(f, bytes);
    });
    const error = await loadError(dir);
    expect(error.code).toBe('E_MODEL_FILE');
    expect(error.field).toBe('files.mask_decoder.sha256');
  });

  it('corrupt graph with a matching hash → E_MODEL_FILE from the runtime', async () => {
    const dir = variant((d, m) => {
      const f = path.join(d, 'text_projection.onnx');
      writeFileSync(f, Buffer.from('this is not an onnx graph'));
      m.files.text_projection.sha256 = sha256(f);
    });
    const error = await loadError(dir);
    expect(error.code).toBe('E_MODEL_FILE');
    expect(error.field).toBe('files.text_projection');
  });

  it('corrupt tokenizer.json → E_MODEL_FILE', async () => {
    const dir = variant((d, m) => {
      const f = path.join(d, 'tokenizer.json');
      writeFileSync(f, '{"model": 3}');
      m.files.tokenizer.sha256 = sha256(f);
    });
    expect((await loadError(dir)).code).toBe('E_MODEL_FILE');
  });

  it.each([
    ['image.size', 'pixel_values', (m: any) => (m.image.size = 128)],
    ['dims.embeddingSize', 'image_embeddings', (m: any) => (m.dims.embeddingSize = [8, 8])],
    ['dims.textEmbedding', 'text_embeds', (m: any) => (m.dims.textEmbedding = 768)],
    ['mask.candidates', 'masks', (m: any) => (m.mask.candidates = 4)],
    ['dims.highResFeatures', 'high_res_feats_0', (m: any) => (m.dims.highResFeatures = false)],
  ])('manifest %s disagreeing with the graphs → E_MODEL_SHAPE naming the tensor', async (_, tensor, edit) => {
    const error = await loadError(variant((__, m) => edit(m)));
    expect(error.code).toBe('E_MODEL_SHAPE');
    expect(error.field).toMatch(new RegExp(`^${tensor}`));
    expect(error.message).toMatch(/\.onnx/);
  });

  it('a graph swapped for another → E_MODEL_SHAPE', async () => {
    const dir = variant((d, m) => {
      cpSync(path.join(d, 'text_projection.onnx'), path.join(d, 'swapped.onnx'));
      m.files.text_encoder = { path: 'swapped.onnx', sha256: sha256(path.join(d, 'swapped.onnx')) };
    });
    const error = await loadError(dir);
    expect(error.code).toBe('E_MODEL_SHAPE');
    expect(error.file).toBe(path.join(dir, 'swapped.onnx'));
  });
});
