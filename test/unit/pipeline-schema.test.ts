import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PIPELINE_SCHEMA, validatePipeline, type KeySpec } from '../../src/core/pipeline/index';
import { generateJsonSchema, jsonSchemaText, updateReference } from '../../src/core/pipeline/jsonSchema';
import { pipelineTemplate } from '../../src/core/scaffold/templates';

// schema.ts is the one source of truth: the committed JSON Schema and the reference tables in
// docs/slipway-yaml.md must be what it generates (node scripts/gen-schema.mjs rewrites them).

test('schemas/slipway.schema.json is generated from schema.ts', () => {
  assert.equal(readFileSync('schemas/slipway.schema.json', 'utf8'), jsonSchemaText(), 'run: node scripts/gen-schema.mjs');
});

test('docs/slipway-yaml.md reference tables are generated from schema.ts', () => {
  const doc = readFileSync('docs/slipway-yaml.md', 'utf8');
  assert.match(doc, /<!-- generated:keys -->/);
  assert.match(doc, /<!-- generated:codes -->/);
  assert.equal(doc, updateReference(doc), 'run: node scripts/gen-schema.mjs');
});

test('every key is documented; enums hold their defaults', () => {
  const walk = (spec: KeySpec, path: string) => {
    assert.match(spec.doc, /^\S.{4,}[.)]$/, `${path} needs a doc sentence`);
    if (spec.enum && spec.default !== undefined) assert.ok(spec.enum.includes(spec.default as string), path);
    for (const [k, v] of Object.entries(spec.properties ?? {})) walk(v, `${path}.${k}`);
    if (spec.values) walk(spec.values, `${path}.<name>`);
    if (spec.items) walk(spec.items, `${path}[]`);
  };
  walk(PIPELINE_SCHEMA, '');
  const json = generateJsonSchema() as { $schema: string; properties: Record<string, { description: string }>; required: string[] };
  assert.equal(json.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.deepEqual(json.required, ['version', 'name']);
  assert.ok(json.properties.training!.description);
});

test('the contract example validates cleanly when its files exist', () => {
  const text = readFileSync('schemas/slipway.example.yaml', 'utf8');
  const parsed = validatePipeline(text, { baseDir: '/project', fileExists: () => true, globMatches: () => true });
  assert.deepEqual(parsed.diagnostics, []);
  assert.equal(parsed.model.features.views.customer_activity?.ttlSeconds, 30 * 86400);
});

test('the scaffold template validates with no errors and no warnings once src/train.py exists', () => {
  const parsed = validatePipeline(pipelineTemplate('demo'), { baseDir: '/p', fileExists: (p) => p === resolve('/p', 'src/train.py'), globMatches: () => false });
  assert.deepEqual(parsed.diagnostics, []);
  assert.equal(parsed.model.training?.script, 'src/train.py');
});

test('examples/churn/slipway.yaml validates on its own files', { skip: !existsSync('examples/churn/slipway.yaml') }, () => {
  const path = resolve('examples/churn/slipway.yaml');
  const parsed = validatePipeline(readFileSync(path, 'utf8'), { path });
  assert.deepEqual(parsed.diagnostics.map((d) => `${d.range.start.line + 1}: ${d.code} ${d.message}`), []);
});
