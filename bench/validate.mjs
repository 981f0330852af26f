// Benchmark: full re-validation of a 5,000-line slipway.yaml after a one-character edit.
//
//   node bench/validate.mjs [--edits N] [--json]        (run `npm run build` first)
//
// Measures, on the same generated file and the same edits:
//   1. Slipway in process: validatePipeline(text, { cache }) after each edit — syntax, schema,
//      references and files on disk, reusing the unchanged pieces of the previous version.
//   2. yaml-language-server in process: its getLanguageService() API with the published JSON
//      Schema (schemas/slipway.schema.json), doValidation() on each new document version. It
//      checks only what a JSON Schema can say (no references, no files, no cron ranges).
//   3. Slipway's language server end to end over stdio (out/language-server.js, debounce 0):
//      didChange → publishDiagnostics.
// and prints p50/p95 of each and the ratio of 2 to 1.
import * as esbuild from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const EDITS = Number(args[args.indexOf('--edits') + 1]) || 200;
const asJson = args.includes('--json');
const require = createRequire(import.meta.url);

// Slipway's core, bundled from source as the product bundles it
const coreJs = join(tmpdir(), `slipway-bench-core-${process.pid}.cjs`);
await esbuild.build({ entryPoints: ['src/core/pipeline/index.ts'], bundle: true, platform: 'node', format: 'cjs', outfile: coreJs, logLevel: 'warning' });
const { validatePipeline, PipelineCache } = require(coreJs);
rmSync(coreJs, { force: true });

/** A 5,000-line pipeline: hundreds of feature views, a training set over them. */
function generate(lines = 5000) {
  const out = ['version: 1', 'name: big', 'features:', '  entities:', '    customer: { join_keys: [customer_id] }', '    product: { join_keys: [product_id] }', '  sources:'];
  for (let s = 0; s < 10; s++) out.push(`    source_${s}: { path: data/source_${s}.parquet, timestamp: event_ts }`);
  out.push('  views:');
  const types = ['int64', 'float64', 'string', 'bool', 'timestamp'];
  let v = 0;
  while (out.length < lines - 60) {
    out.push(`    view_${v}:`, `      entity: ${v % 3 ? 'customer' : 'product'}`, `      source: source_${v % 10}`, '      ttl: 30d', '      features:');
    for (let f = 0; f < 10; f++) out.push(`        feature_${f}: ${types[(v + f) % 5]}   # feature ${f} of view ${v}`);
    v++;
  }
  out.push('training:', '  script: src/train.py', '  params: { n_estimators: 200, max_depth: 8 }', '  dataset:', '    labels: data/labels.parquet', '    label: churned', '    timestamp: event_ts', '    features:');
  for (let i = 0; i < 40; i++) out.push(`      - view_${(i * 7) % v}:feature_${i % 10}`);
  out.push('model:', '  name: big-model', '  gates:', '    - { metric: val_auc, op: ">=", value: 0.8 }', 'deploy:', '  target: kubernetes', '  resources: { cpu: 500m, memory: 512Mi }');
  while (out.length < lines) out.push('# padding');
  return { text: `${out.join('\n')}\n`, views: v };
}

const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
mkdirSync(join(dir, 'data'));
mkdirSync(join(dir, 'src'));
for (let s = 0; s < 10; s++) writeFileSync(join(dir, `data/source_${s}.parquet`), '');
writeFileSync(join(dir, 'data/labels.parquet'), '');
writeFileSync(join(dir, 'src/train.py'), '');
const { text: base, views } = generate();
const path = join(dir, 'slipway.yaml');
writeFileSync(path, base);
const uri = pathToFileURL(path).href;

/** Deterministic one-character edits: a view's `ttl: 30d` becomes `31d` and back. */
function* edits(n) {
  let text = base;
  let seed = 42;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const view = seed % views;
    const at = text.indexOf('ttl: 3', text.indexOf(`    view_${view}:\n`)) + 6;
    const next = text[at] === '0' ? '1' : '0';
    text = text.slice(0, at) + next + text.slice(at + 1);
    const pos = text.slice(0, at).split('\n');
    yield { text, version: i + 2, at: { line: pos.length - 1, character: pos[pos.length - 1].length }, char: next };
  }
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { p50: q(0.5), p95: q(0.95), max: s[s.length - 1], n: s.length };
};
const ms = (x) => `${x.toFixed(2)} ms`;

// 1. Slipway in process
const cache = new PipelineCache();
const first = validatePipeline(base, { path, cache });
if (first.diagnostics.length) throw new Error(`the generated file should be valid: ${JSON.stringify(first.diagnostics.slice(0, 3))}`);
for (const e of edits(20)) validatePipeline(e.text, { path, cache }); // warm up
const slipway = [];
for (const e of edits(EDITS)) {
  const t0 = performance.now();
  validatePipeline(e.text, { path, cache });
  slipway.push(performance.now() - t0);
}
// the first parse of a file (opening it): no piece to reuse, warm JIT
const cold = [];
for (let i = 0; i < 10; i++) {
  const t0 = performance.now();
  validatePipeline(base, { path, cache: new PipelineCache() });
  cold.push(performance.now() - t0);
}

// 2. yaml-language-server in process, with the published schema
const { getLanguageService } = await import('yaml-language-server');
const { TextDocument } = require('vscode-languageserver-textdocument');
const schema = JSON.parse(readFileSync('schemas/slipway.schema.json', 'utf8'));
const ls = getLanguageService({
  schemaRequestService: async () => JSON.stringify(schema),
  workspaceContext: { resolveRelativePath: (p) => p },
});
ls.configure({ validate: true, completion: true, hover: true, schemas: [{ uri: 'https://slipway.dev/slipway.schema.json', fileMatch: ['*slipway.yaml'], schema }] });
const yamlFirst = await ls.doValidation(TextDocument.create(uri, 'yaml', 1, base), false);
for (const e of edits(5)) await ls.doValidation(TextDocument.create(uri, 'yaml', e.version, e.text), false); // warm up
const yamlls = [];
const yamlEdits = Math.min(EDITS, 60);
for (const e of edits(yamlEdits)) {
  const doc = TextDocument.create(uri, 'yaml', e.version, e.text);
  const t0 = performance.now();
  await ls.doValidation(doc, false);
  yamlls.push(performance.now() - t0);
}

// both see a schema error; only Slipway sees a broken reference and a bad cron
const probe = base.replace('ttl: 30d', 'ttl: 30days').replace('entity: customer', 'entity: custmer').replace('  params:', '  schedule: "0 0 31 2 *"\n  params:');
const probeSlipway = validatePipeline(probe, { path }).diagnostics.map((d) => d.code);
const probeYamlls = (await ls.doValidation(TextDocument.create(uri, 'yaml', 999, probe), false)).map((d) => d.message.split('\n')[0]);

// 3. Slipway's language server over stdio
async function lspRun() {
  if (!existsSync('out/language-server.js')) return undefined;
  const { createMessageConnection, StreamMessageReader, StreamMessageWriter } = require('vscode-languageserver/node');
  const server = spawn(process.execPath, ['out/language-server.js', '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  const waiting = new Map();
  conn.onNotification('textDocument/publishDiagnostics', (p) => {
    const w = waiting.get(p.version);
    if (w) w(p);
  });
  conn.listen();
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(dir).href, capabilities: {}, initializationOptions: { debounceMs: 0 } });
  await conn.sendNotification('initialized', {});
  const published = (version) => new Promise((r) => waiting.set(version, r));
  let wait = published(1);
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: base } });
  await wait;
  const times = [];
  for (const e of edits(Math.min(EDITS, 100))) {
    wait = published(e.version);
    const t0 = performance.now();
    await conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: e.version },
      contentChanges: [{ range: { start: e.at, end: { line: e.at.line, character: e.at.character + 1 } }, text: e.char }],
    });
    await wait;
    times.push(performance.now() - t0);
  }
  await conn.sendRequest('shutdown');
  await conn.sendNotification('exit');
  conn.dispose();
  server.kill();
  return times.slice(10);
}
const lsp = await lspRun();
rmSync(dir, { recursive: true, force: true });

const s = stats(slipway);
const y = stats(yamlls);
const result = {
  file: { lines: base.split('\n').length - 1, views, bytes: base.length },
  slipway: { ...s, coldFullParse: stats(cold).p50, pieces: first.doc.pieces },
  yamlLanguageServer: { ...y, method: 'getLanguageService().doValidation() in process, schemas/slipway.schema.json', problemsOnValidFile: yamlFirst.length },
  ratioP50: y.p50 / s.p50,
  ratioP95: y.p95 / s.p95,
  slipwayLspEndToEnd: lsp ? stats(lsp) : 'skipped: run npm run build first',
  probe: { slipway: probeSlipway, yamlLanguageServer: probeYamlls },
};
if (asJson) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`validate benchmark: ${result.file.lines} lines, ${views} feature views, ${(base.length / 1024).toFixed(0)} KiB; one-character edits (ttl 30d ↔ 31d)`);
  console.log(`  Slipway validatePipeline (incremental, with file checks)  p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  max ${ms(s.max)}  (${s.n} edits; ${first.doc.pieces} pieces; first parse, nothing cached: ${ms(result.slipway.coldFullParse)})`);
  console.log(`  yaml-language-server doValidation (in process, JSON Schema) p50 ${ms(y.p50)}  p95 ${ms(y.p95)}  max ${ms(y.max)}  (${y.n} edits; ${yamlFirst.length} problems on the valid file)`);
  console.log(`  ratio yaml-language-server / Slipway: p50 ${result.ratioP50.toFixed(1)}x, p95 ${result.ratioP95.toFixed(1)}x`);
  if (lsp) {
    const l = stats(lsp);
    console.log(`  Slipway language server, didChange -> publishDiagnostics over stdio (debounce 0): p50 ${ms(l.p50)}  p95 ${ms(l.p95)}  (${l.n} edits)`);
  } else console.log('  Slipway language server: skipped (run npm run build first)');
  console.log(`  probe (ttl 30days, entity custmer, schedule Feb 31): Slipway ${JSON.stringify(probeSlipway)}; yaml-language-server ${JSON.stringify(probeYamlls)}`);
}
