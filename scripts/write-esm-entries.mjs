// Writes the ESM entry points beside the CommonJS build: dist/index.mjs and dist/ops.mjs.
// Node's ESM loader reads the named exports of the CommonJS files statically, so `export *` suffices.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
for (const entry of ['index', 'ops']) {
  writeFileSync(
    path.join(dist, `${entry}.mjs`),
    `// ESM entry: re-exports the CommonJS build.\nexport * from './${entry}.js';\n`,
  );
}
