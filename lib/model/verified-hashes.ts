/**
 * Remembers which model files matched their manifest's SHA-256, so a later start need not read
 * gigabytes again. A remembered match counts only while the file's size, modification time,
 * status-change time, inode and device are all unchanged. The status-change time (ctime) moves on
 * every write, chmod and rename onto the path and cannot be set back, so a file rewritten in the
 * same second, one whose mtime was restored, or a copy with its mtime preserved is hashed again.
 *
 * What it cannot see is a change that leaves all of those alone (the disk itself going bad);
 * `sam3clip info` hashes every file for real and corrects what is remembered.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from './sha256-file.js';

export const VERIFIED_HASHES_FILE = 'verified-hashes.json';
const FORMAT = 'sam3clip-verified-hashes';
const FORMAT_VERSION = 1;

/**
 * A file changed this close to when it was hashed may change again within one tick of a coarse
 * file-system clock (FAT: 2 s) without its times moving; such a match is used but not remembered.
 */
const SETTLE_NS = 2_000_000_000n;

/** What must stay the same for a remembered hash to still describe the file: bigint stat values, in decimal. */
export interface FileIdentity {
  size: string;
  mtimeNs: string;
  ctimeNs: string;
  ino: string;
  dev: string;
}

interface Entry extends FileIdentity {
  sha256: string;
}

/** How a file's hash was checked. */
export type HashCheck = 'remembered' | 'hashed' | 'mismatch';

const IDENTITY_FIELDS = ['size', 'mtimeNs', 'ctimeNs', 'ino', 'dev'] as const satisfies readonly (keyof FileIdentity)[];

export async function fileIdentity(file: string): Promise<FileIdentity> {
  const s = await stat(file, { bigint: true });
  return { size: String(s.size), mtimeNs: String(s.mtimeNs), ctimeNs: String(s.ctimeNs), ino: String(s.ino), dev: String(s.dev) };
}

function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return IDENTITY_FIELDS.every((field) => a[field] === b[field]);
}

function parseEntry(value: unknown): Entry | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (!IDENTITY_FIELDS.every((field) => typeof v[field] === 'string' && /^\d{1,40}$/.test(v[field] as string))) return undefined;
  if (typeof v.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(v.sha256)) return undefined;
  return { size: v.size, mtimeNs: v.mtimeNs, ctimeNs: v.ctimeNs, ino: v.ino, dev: v.dev, sha256: v.sha256 } as Entry;
}

/**
 * The entries in the file, or none when it is absent, unreadable, not ours or not valid: a memory
 * that cannot be trusted is only a reason to hash again, never an error.
 */
async function readEntries(file: string): Promise<Map<string, Entry>> {
  const entries = new Map<string, Entry>();
  let text: string;
  try {
    const handle = await open(file, 'r');
    try {
      // Anyone who can write this file can vouch for a model file; take it only from ourselves.
      const owner = await handle.stat();
      const uid = process.getuid?.();
      if (uid !== undefined && (owner.uid !== uid || (owner.mode & 0o022) !== 0)) return entries;
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return entries;
  }
  try {
    const json = JSON.parse(text) as { format?: unknown; version?: unknown; files?: unknown };
    if (json?.format !== FORMAT || json.version !== FORMAT_VERSION) return entries;
    if (json.files === null || typeof json.files !== 'object') return entries;
    for (const [key, value] of Object.entries(json.files as Record<string, unknown>)) {
      const entry = parseEntry(value);
      if (entry && path.isAbsolute(key)) entries.set(key, entry);
    }
  } catch {
    // Not JSON (a torn write from an older tool, a disk error): start over.
  }
  return entries;
}

/** Entries whose file is gone or changed can never match again; dropping them keeps the file small. */
async function withoutStale(entries: Map<string, Entry>): Promise<Map<string, Entry>> {
  const live = await Promise.all(
    [...entries].map(async ([key, entry]) => {
      const now = await fileIdentity(key).catch(() => undefined);
      return now && sameIdentity(now, entry) ? ([key, entry] as const) : undefined;
    }),
  );
  return new Map(live.filter((e) => e !== undefined));
}

export interface VerifiedHashesOptions {
  /** Hash every file even where a match is remembered, and remember the results (the explicit check). */
  rehash?: boolean;
}

/** The verified hashes kept in `<dir>/verified-hashes.json`, read once; `save()` writes what `check()` learnt. */
export class VerifiedHashes {
  /** New matches, and files to forget (null), by real path. */
  private readonly changes = new Map<string, Entry | null>();

  private constructor(
    private readonly dir: string,
    private readonly entries: Map<string, Entry>,
    private readonly rehash: boolean,
  ) {}

  static async open(dir: string, options: VerifiedHashesOptions = {}): Promise<VerifiedHashes> {
    const rehash = options.rehash === true;
    return new VerifiedHashes(dir, rehash ? new Map() : await readEntries(path.join(dir, VERIFIED_HASHES_FILE)), rehash);
  }

  /** Whether `file` holds `sha256`: from memory when it is unchanged since it last matched, else by reading it. */
  async check(file: string, sha256: string): Promise<HashCheck> {
    // Keyed by the real path: two links to one file share an entry, and a retargeted link is a new key.
    const key = await realpath(file).catch(() => undefined);
    const before = key === undefined ? undefined : await fileIdentity(key).catch(() => undefined);
    const known = key === undefined ? undefined : this.entries.get(key);
    // Only a remembered match is taken; any disagreement is settled by reading the file.
    if (before && known && !this.rehash && known.sha256 === sha256 && sameIdentity(before, known)) return 'remembered';
    const startedNs = BigInt(Date.now()) * 1_000_000n;
    const actual = await sha256File(key ?? file);
    if (key === undefined || before === undefined) return actual === sha256 ? 'hashed' : 'mismatch';
    if (actual !== sha256) {
      this.changes.set(key, null);
      return 'mismatch';
    }
    // Remember only what was the same file from start to end of the read, and had settled before it.
    const after = await fileIdentity(key).catch(() => undefined);
    if (after && sameIdentity(before, after) && BigInt(before.ctimeNs) + SETTLE_NS < startedNs)
      this.changes.set(key, { ...before, sha256 });
    return 'hashed';
  }

  /**
   * Merges what was learnt into the file as it is now (another process may have written it since),
   * through a temporary file and a rename so that a reader never sees half of it. Never throws: a
   * folder that cannot be written only means hashing again next time.
   */
  async save(): Promise<void> {
    if (this.changes.size === 0) return;
    const file = path.join(this.dir, VERIFIED_HASHES_FILE);
    const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true });
      const merged = await readEntries(file);
      for (const [key, entry] of this.changes) {
        if (entry) merged.set(key, entry);
        else merged.delete(key);
      }
      const files = Object.fromEntries(await withoutStale(merged));
      await writeFile(temp, `${JSON.stringify({ format: FORMAT, version: FORMAT_VERSION, files }, null, 1)}\n`, { mode: 0o600 });
      await rename(temp, file);
      this.changes.clear();
    } catch {
      await rm(temp, { force: true }).catch(() => {});
    }
  }
}
