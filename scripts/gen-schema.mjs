// Regenerates schemas/slipway.schema.json and the generated tables of docs/slipway-yaml.md from
// src/core/pipeline/schema.ts (the one source of truth). Usage: node scripts/gen-schema.mjs [--check]
// --check writes nothing and exits 1 when a file is out of date (the unit tests check the same).
import * as esbuild from 'esbuild';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const check = process.argv.includes('--check');
const out = join(tmpdir(), `slipway-gen-schema-${process.pid}.cjs`);
await esbuild.build({ entryPoints: ['src/core/pipeline/jsonSchema.ts'], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'warning' });
const gen = createRequire(import.meta.url)(out);

const files = [
  ['schemas/slipway.schema.json', () => gen.jsonSchemaText()],
  ['docs/slipway-yaml.md', (current) => gen.updateReference(current)],
];
let stale = 0;
for (const [file, make] of files) {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // created below
  }
  const next = make(current);
  if (next === current) continue;
  stale++;
  if (check) console.error(`${file} is out of date: run node scripts/gen-schema.mjs`);
  else {
    mkdirSync(file.split('/').slice(0, -1).join('/'), { recursive: true });
    writeFileSync(file, next);
    console.log(`wrote ${file}`);
  }
}
process.exit(check && stale ? 1 : 0);
