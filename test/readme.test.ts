/**
 * The README documents the CLI and the error codes; these keep it from drifting from the code.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../dist/cli/run-cli.js';

const ROOT = path.resolve(__dirname, '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? sources(file) : file.endsWith('.ts') ? [file] : [];
  });
}

describe('README', () => {
  it("shows the CLI's --help text exactly", () => {
    expect(README).toContain(`\`sam3clip --help\` prints (on stdout):\n\n\`\`\`\n${USAGE}\n\`\`\`\n`);
  });

  it('lists every error code the library, the CLI and the server can return', () => {
    const codes = new Set(sources(path.join(ROOT, 'lib')).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/'(E_[A-Z_]+)'/g)].map((m) => m[1]!)));
    expect(codes.size).toBeGreaterThan(20);
    const errors = README.slice(README.indexOf('### Errors'), README.indexOf('## CLI'));
    const missing = [...codes].filter((code) => !errors.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });
});
