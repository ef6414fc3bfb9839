import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Sam3ClipError } from '../errors.js';
import {
  graphNames,
  MANIFEST_FORMAT,
  MANIFEST_FORMAT_VERSION,
  MODEL_FAMILIES,
  TOKENIZER_FRAMINGS,
  type ConceptManifest,
  type ModelManifest,
  type PackageFile,
  type PackageFileName,
  type TrackerManifest,
} from './manifest-types.js';
import { sha256File } from './sha256-file.js';
import { VerifiedHashes, type HashCheck } from './verified-hashes.js';

export { sha256File } from './sha256-file.js';

export const MANIFEST_FILE = 'manifest.json';

/** A manifest that passed validation, with absolute paths to its files. */
export interface ModelPackage {
  dir: string;
  manifest: ModelManifest;
  paths: Record<PackageFileName, string>;
  /** How many files were read and hashed, and how many were taken as verified from the hash cache (both 0 with verifyHashes false). */
  verification: { hashed: number; remembered: number };
}

/** The files a manifest lists: the graphs of its paths and, with the text path, the tokenizer. */
export function fileKeys(m: ModelManifest): readonly PackageFileName[] {
  return [...graphNames(m), ...(m.files.tokenizer ? (['tokenizer'] as const) : [])];
}

/**
 * Which files each family's manifest must list, and which it may: a path's files come together or
 * not at all (a text tower without its projection is a broken package, not a smaller one).
 */
const REQUIRED_FILES: Record<'tracker' | 'concept', readonly PackageFileName[]> = {
  tracker: ['image_encoder', 'mask_decoder'],
  concept: ['image_encoder', 'text_encoder', 'detector', 'tokenizer'],
};
const FILE_GROUPS: Record<'tracker' | 'concept', readonly (readonly PackageFileName[])[]> = {
  tracker: [['text_encoder', 'text_projection', 'tokenizer'], ['prompt_encoder'], ['image_tower']],
  concept: [['detector_boxes'], ['prompt_encoder', 'mask_decoder']],
};

function manifestError(dir: string, field: string, message: string): Sam3ClipError {
  return new Sam3ClipError('E_MODEL_MANIFEST', `${path.join(dir, MANIFEST_FILE)}: ${field}: ${message}`, {
    file: path.join(dir, MANIFEST_FILE),
    field,
  });
}

/** Checks a JSON value against the manifest schema; errors name the field. */
export function validateManifest(value: unknown, dir: string): ModelManifest {
  const fail = (field: string, message: string): never => {
    throw manifestError(dir, field, message);
  };
  const obj = (v: unknown, field: string): Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(field, 'must be an object');
  const int = (v: unknown, field: string, min = 1, max = 1 << 20): number =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max
      ? (v as number)
      : fail(field, `must be an integer in ${min}..${max}`);
  const bool = (v: unknown, field: string): boolean => (typeof v === 'boolean' ? v : fail(field, 'must be true or false'));
  const oneOf = <T extends string>(v: unknown, field: string, allowed: readonly T[]): T =>
    allowed.includes(v as T) ? (v as T) : fail(field, `must be one of ${allowed.join(', ')}`);
  const triple = (v: unknown, field: string, positive: boolean): [number, number, number] => {
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x)))
      return fail(field, 'must be an array of 3 finite numbers');
    if (positive && !v.every((x) => x > 0)) return fail(field, 'must be positive');
    return v as [number, number, number];
  };

  const unit = (v: unknown, field: string): number =>
    typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1 ? v : fail(field, 'must be a number from 0 to 1');
  const hw = (v: unknown, field: string): [number, number] => {
    if (!Array.isArray(v) || v.length !== 2) return fail(field, 'must be [h, w]');
    return [int(v[0], `${field}[0]`, 1, 4096), int(v[1], `${field}[1]`, 1, 4096)];
  };

  const m = obj(value, '(root)');
  if (m.format !== MANIFEST_FORMAT) fail('format', `must be "${MANIFEST_FORMAT}"`);
  if (m.formatVersion !== MANIFEST_FORMAT_VERSION)
    fail('formatVersion', `is ${JSON.stringify(m.formatVersion)}; this version of sam3clip reads ${MANIFEST_FORMAT_VERSION}`);
  if (typeof m.name !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,127}$/.test(m.name))
    fail('name', 'must match [a-z0-9][a-z0-9._-]*');
  const image = obj(m.image, 'image');
  const dims = obj(m.dims, 'dims');
  const mask = obj(m.mask, 'mask');
  const files = obj(m.files, 'files');
  const family = oneOf(m.family, 'family', MODEL_FAMILIES);
  const kind = family === 'sam3-concept' ? 'concept' : 'tracker';
  // The files first: which paths the package has decides which other fields it needs.
  const keys: PackageFileName[] = [...REQUIRED_FILES[kind]];
  for (const key of REQUIRED_FILES[kind]) if (files[key] === undefined) fail(`files.${key}`, 'is missing');
  for (const group of FILE_GROUPS[kind]) {
    const present = group.filter((key) => files[key] !== undefined);
    if (present.length > 0 && present.length < group.length)
      fail(`files.${group.find((key) => files[key] === undefined)}`, `is missing: ${group.join(', ')} come together`);
    if (present.length === group.length) keys.push(...group.filter((key) => !keys.includes(key)));
  }
  const known = new Set<string>([...REQUIRED_FILES[kind], ...FILE_GROUPS[kind].flat()]);
  const unknown = Object.keys(files).find((key) => !known.has(key));
  if (unknown) fail(`files.${unknown}`, `is not a file of the ${family} family (known: ${[...known].join(', ')})`);
  const textPath = keys.includes('tokenizer');
  if (kind === 'tracker' && !textPath && !keys.includes('prompt_encoder'))
    fail('files', 'lists neither the text path (text_encoder, text_projection, tokenizer) nor the interactive one (prompt_encoder)');

  const tokenizerSpec = () => {
    const tokenizer = obj(m.tokenizer, 'tokenizer');
    // A BERT tower attends both ways: without the mask its [CLS] state would read the padding.
    if (tokenizer.framing === 'bert' && tokenizer.attentionMask !== true)
      fail('tokenizer.attentionMask', 'must be true with framing "bert": the text tower reads the prompt mask');
    return {
      contextLength: int(tokenizer.contextLength, 'tokenizer.contextLength', 2, 4096),
      padId: int(tokenizer.padId, 'tokenizer.padId', 0, 1 << 24),
      lowercase: bool(tokenizer.lowercase, 'tokenizer.lowercase'),
      attentionMask: bool(tokenizer.attentionMask, 'tokenizer.attentionMask'),
      ...(tokenizer.framing !== undefined ? { framing: oneOf(tokenizer.framing, 'tokenizer.framing', TOKENIZER_FRAMINGS) } : {}),
    };
  };
  const base = {
    format: MANIFEST_FORMAT as typeof MANIFEST_FORMAT,
    formatVersion: MANIFEST_FORMAT_VERSION as typeof MANIFEST_FORMAT_VERSION,
    name: m.name as string,
    precision: oneOf(m.precision, 'precision', ['fp32', 'fp16'] as const),
    image: {
      size: int(image.size, 'image.size', 8, 8192),
      resize: oneOf(image.resize, 'image.resize', ['stretch', 'longest-side'] as const),
      mean: triple(image.mean, 'image.mean', false),
      std: triple(image.std, 'image.std', true),
    },
  };
  // CLIP's image tower compares with the text tower's embeddings, so it needs the text path.
  const imageTowerSpec = () => {
    if (!textPath) fail('files.image_tower', 'needs the text path (text_encoder, text_projection, tokenizer)');
    const tower = obj(m.imageTower, 'imageTower');
    return {
      size: int(tower.size, 'imageTower.size', 8, 4096),
      resize: oneOf(tower.resize, 'imageTower.resize', ['shortest-side-center-crop'] as const),
      mean: triple(tower.mean, 'imageTower.mean', false),
      std: triple(tower.std, 'imageTower.std', true),
    };
  };
  let manifest: ModelManifest;
  if (family === 'sam3-concept') {
    const thresholds = obj(m.thresholds, 'thresholds');
    const tokenizer = tokenizerSpec();
    if (!tokenizer.attentionMask) fail('tokenizer.attentionMask', 'must be true: the detector reads the prompt mask');
    const tracker = keys.includes('prompt_encoder') ? obj(m.tracker, 'tracker') : undefined;
    manifest = {
      ...base,
      family,
      tokenizer,
      dims: {
        embeddingChannels: int(dims.embeddingChannels, 'dims.embeddingChannels'),
        embeddingSize: hw(dims.embeddingSize, 'dims.embeddingSize'),
        textFeatures: int(dims.textFeatures, 'dims.textFeatures'),
        queries: int(dims.queries, 'dims.queries', 1, 10_000),
      },
      mask: { size: int(mask.size, 'mask.size', 1, 8192) },
      thresholds: { score: unit(thresholds.score, 'thresholds.score'), mask: unit(thresholds.mask, 'thresholds.mask') },
      ...(tracker
        ? {
            tracker: {
              embeddingChannels: int(tracker.embeddingChannels, 'tracker.embeddingChannels'),
              embeddingSize: hw(tracker.embeddingSize, 'tracker.embeddingSize'),
              maskSize: int(tracker.maskSize, 'tracker.maskSize', 1, 8192),
              candidates: int(tracker.candidates, 'tracker.candidates', 1, 16),
            },
          }
        : {}),
      files: {},
    } satisfies ConceptManifest;
  } else {
    manifest = {
      ...base,
      family,
      ...(textPath ? { tokenizer: tokenizerSpec() } : {}),
      dims: {
        embeddingChannels: int(dims.embeddingChannels, 'dims.embeddingChannels'),
        embeddingSize: hw(dims.embeddingSize, 'dims.embeddingSize'),
        highResFeatures: bool(dims.highResFeatures, 'dims.highResFeatures'),
        ...(textPath
          ? {
              textEmbedding: int(dims.textEmbedding, 'dims.textEmbedding'),
              promptTokens: int(dims.promptTokens, 'dims.promptTokens', 1, 64),
            }
          : {}),
        promptEmbedding: int(dims.promptEmbedding, 'dims.promptEmbedding'),
      },
      mask: {
        size: int(mask.size, 'mask.size', 1, 8192),
        candidates: int(mask.candidates, 'mask.candidates', 1, 16),
      },
      ...(keys.includes('image_tower') ? { imageTower: imageTowerSpec() } : {}),
      files: {},
    } satisfies TrackerManifest;
  }
  const listed = manifest.files as Record<PackageFileName, PackageFile>;
  for (const key of keys) {
    const entry = obj(files[key], `files.${key}`);
    const rel = entry.path;
    if (typeof rel !== 'string' || rel === '' || path.isAbsolute(rel) || rel.split(/[\\/]/).includes('..'))
      fail(`files.${key}.path`, 'must be a relative path inside the package');
    if (typeof entry.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.sha256))
      fail(`files.${key}.sha256`, 'must be 64 lowercase hex digits');
    listed[key] = { path: rel as string, sha256: entry.sha256 as string };
  }
  return manifest;
}

export interface LoadPackageOptions {
  /** Hash every file against the manifest (default true). Costs a read of each file. */
  verifyHashes?: boolean;
  /**
   * A folder remembering files that matched (the modelCache): a file unchanged since then (size,
   * mtime, ctime, inode, device) is not read again. Absent: every file is read.
   */
  hashCache?: string;
  /** With hashCache: read every file all the same, and correct what the folder remembers. */
  rehash?: boolean;
}

function unreadable(file: string, key: PackageFileName, cause: unknown): Sam3ClipError {
  return new Sam3ClipError('E_MODEL_FILE', `Model file ${file} (files.${key}) is missing or unreadable`, {
    file,
    field: `files.${key}`,
    cause,
  });
}

async function requireRegularFile(file: string, key: PackageFileName): Promise<void> {
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a regular file');
  } catch (cause) {
    throw unreadable(file, key, cause);
  }
}

/** 'hashed' or 'remembered' when the file holds `expected`; E_MODEL_FILE when it does not. */
async function checkHash(
  file: string,
  key: PackageFileName,
  expected: string,
  memory: VerifiedHashes | undefined,
): Promise<Exclude<HashCheck, 'mismatch'>> {
  let check: HashCheck;
  try {
    check = memory ? await memory.check(file, expected) : (await sha256File(file)) === expected ? 'hashed' : 'mismatch';
  } catch (cause) {
    throw unreadable(file, key, cause);
  }
  if (check === 'mismatch')
    throw new Sam3ClipError(
      'E_MODEL_FILE',
      `Model file ${file} does not match files.${key}.sha256 in the manifest (corrupt or replaced file)`,
      { file, field: `files.${key}.sha256` },
    );
  return check;
}

/** Reads and validates manifest.json, then checks that every file exists and matches its hash. */
export async function loadModelPackage(dir: string, options: LoadPackageOptions = {}): Promise<ModelPackage> {
  const root = path.resolve(dir);
  const manifestPath = path.join(root, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Sam3ClipError(
      'E_MODEL_MANIFEST',
      missing
        ? `No model package at ${root}: ${MANIFEST_FILE} is missing (set --models or SAM3CLIP_MODELS)`
        : `Cannot read ${manifestPath}: ${(cause as Error).message}`,
      { file: manifestPath, cause },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new Sam3ClipError('E_MODEL_MANIFEST', `${manifestPath} is not valid JSON: ${(cause as Error).message}`, {
      file: manifestPath,
      cause,
    });
  }
  const manifest = validateManifest(json, root);
  const paths = {} as Record<PackageFileName, string>;
  const listed = manifest.files as Partial<Record<PackageFileName, PackageFile>>;
  const verify = options.verifyHashes !== false;
  const memory =
    verify && options.hashCache !== undefined ? await VerifiedHashes.open(options.hashCache, { rehash: options.rehash }) : undefined;
  const verification = { hashed: 0, remembered: 0 };
  try {
    await Promise.all(
      fileKeys(manifest).map(async (key) => {
        const file = path.join(root, listed[key]!.path);
        paths[key] = file;
        await requireRegularFile(file, key);
        if (verify) verification[await checkHash(file, key, listed[key]!.sha256, memory)]++;
      }),
    );
  } finally {
    // Saved even when a file failed: its entry is dropped and the others' matches are kept.
    await memory?.save();
  }
  return { dir: root, manifest, paths, verification };
}
