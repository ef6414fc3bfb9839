/**
 * What a user of the published package does, without publishing: pack the library as `npm publish`
 * would (prepack builds the prebuild, prepare the TypeScript), then install the tarball into a fresh
 * app under a PATH that holds node and npm and nothing else, so a compile attempt could only fail.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** The repository as a fresh clone has it (tracked and untracked-but-not-ignored files), without the models and tests. */
function stageCheckout(dir: string): void {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f && !f.startsWith('models/') && !f.startsWith('test/'));
  for (const file of files) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    try {
      copyFileSync(path.join(ROOT, file), path.join(dir, file));
    } catch {
      // Deleted in the working tree but still in the index.
    }
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
}

export interface Packed {
  tarball: string;
  seconds: number;
  files: number;
  bytes: number;
}

/** `npm pack` of a staged copy (so this test never rewrites the dist/ the other tests run). */
export function packLibrary(work: string): Packed {
  const stage = path.join(work, 'stage');
  const out = path.join(work, 'pack');
  mkdirSync(stage, { recursive: true });
  mkdirSync(out, { recursive: true });
  stageCheckout(stage);
  const started = Date.now();
  const pack = spawnSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: stage, encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stdout}\n${pack.stderr}`);
  // The scripts' output (tsc, cmake, ninja "[1/16] …") comes first; npm's JSON report last.
  const [info] = JSON.parse(pack.stdout.slice(pack.stdout.search(/^\[\s*\{/m))) as { filename: string; entryCount: number; size: number }[];
  return { tarball: path.join(out, info!.filename), seconds: (Date.now() - started) / 1000, files: info!.entryCount, bytes: info!.size };
}

/** A folder for PATH holding only node, npm, npx and sh (npm runs scripts with it): no cmake, no make, no compiler. */
export function nodeOnlyPath(work: string): string {
  const bin = path.join(work, 'bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(process.execPath, path.join(bin, 'node'));
  const npmCli = realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
  symlinkSync(npmCli, path.join(bin, 'npm'));
  symlinkSync(path.join(path.dirname(npmCli), 'npx-cli.js'), path.join(bin, 'npx'));
  addTools(bin, ['sh']);
  return bin;
}

/** Adds the named tools (found on this machine's PATH) to a PATH folder. */
export function addTools(bin: string, tools: readonly string[]): void {
  for (const tool of tools) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (found && !readdirSync(bin).includes(tool)) symlinkSync(found, path.join(bin, tool));
  }
}

export function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** The first fenced block of `lang` after the README heading `heading`. */
export function readmeBlock(readme: string, heading: string, lang: string): string {
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README has no "${heading}" section`);
  const open = readme.indexOf(`\n\`\`\`${lang}\n`, at);
  const close = readme.indexOf('\n```\n', open + 1);
  if (open < 0 || close < 0) throw new Error(`README's "${heading}" has no ${lang} block`);
  return readme.slice(open + lang.length + 5, close + 1);
}
