/**
 * Where engines live: <root>/<package name>/<gpu arch>-trt<major.minor>/. The root is the
 * `engines` option, else $SAM3CLIP_ENGINES, else the engines/ folder of this package.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ENGINE_METADATA_FILE } from './engine-metadata.js';

// This file runs as dist/engines/engine-location.js: the package root is two levels up.
const packageRoot = path.resolve(__dirname, '..', '..');

export function enginesRoot(option?: string): string {
  return path.resolve(option ?? process.env.SAM3CLIP_ENGINES ?? path.join(packageRoot, 'engines'));
}

/** "9.0" + "11.1.0" → "sm90-trt11.1". */
export function engineFolderName(computeCapability: string, tensorrtVersion: string): string {
  const arch = `sm${computeCapability.replace('.', '')}`;
  return `${arch}-trt${tensorrtVersion.split('.').slice(0, 2).join('.')}`;
}

/**
 * The engine folder to use: `option` itself when it is an engine folder (holds metadata.json),
 * else <root>/<package>/<arch>-trt<version> for the given runtime; undefined when neither is known.
 */
export function engineFolder(
  option: string | undefined,
  packageName: string,
  runtime?: { computeCapability: string; tensorrtVersion: string },
): string | undefined {
  if (option && existsSync(path.join(option, ENGINE_METADATA_FILE))) return path.resolve(option);
  if (!runtime) return undefined;
  return path.join(enginesRoot(option), packageName, engineFolderName(runtime.computeCapability, runtime.tensorrtVersion));
}
