// Writes the ESM entry points beside the CommonJS build: dist/index.mjs and dist/ops.mjs, with their
// declarations (index.d.mts, ops.d.mts) so that TypeScript types an `import` as ESM and a `require`
// as CommonJS. Node's ESM loader reads the named exports of the CommonJS files statically, so
// `export *` suffices.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
for (const entry of ['index', 'ops']) {
  const body = `// ESM entry: re-exports the CommonJS build.\nexport * from './${entry}.js';\n`;
  writeFileSync(path.join(dist, `${entry}.mjs`), body);
  writeFileSync(path.join(dist, `${entry}.d.mts`), body);
}
