import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Sam3ClipError } from '../errors.js';
import type { CliIo } from './run-cli.js';

function outputError(file: string, reason: string, cause?: unknown): Sam3ClipError {
  return new Sam3ClipError('E_OUTPUT_FILE', `Cannot write ${file}: ${reason}`, { file, ...(cause ? { cause } : {}) });
}

const REASONS: Record<string, string> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of its path is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
};

/** Fails early, before any model work, when the file's folder is missing or is not a folder. */
export async function checkOutputFolder(file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw outputError(file, `its folder ${dir} does not exist`);
  if (!info.isDirectory()) throw outputError(file, `${dir} is not a folder`);
}

/** Writes one output file; file system failures become E_OUTPUT_FILE with the reason in words. */
export async function writeOutput(io: CliIo, file: string, data: Buffer | string): Promise<void> {
  try {
    await io.writeFile(file, data);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw outputError(file, REASONS[code] ?? (error as Error).message, error);
  }
}

/** Makes a folder for several outputs (with its parents), before any model work. */
export async function outputFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw outputError(dir, REASONS[code] ?? (error as Error).message, error);
  }
}
