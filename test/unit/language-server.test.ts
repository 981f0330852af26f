import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type CodeAction,
  type CompletionList,
  type Diagnostic,
  type DocumentSymbol,
  type Hover,
  type Location,
  type MessageConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver/node';

// The language server as a client sees it: spawned over stdio, spoken to in JSON-RPC.

const TEXT = `version: 1
name: demo
features:
  entities:
    customer: { join_keys: [customer_id] }
  sources:
    activity: { path: data/activity.parquet, timestamp: event_ts }
  views:
    customer_activity:
      entity: custmer
      source: activity
      features:
        sessions_7d: int64
        avg_basket: float64
training:
  script: src/train.py
  dataset:
    labels: data/labels.parquet
    label: churned
    timestamp: event_ts
    features: [customer_activity:sessions_7d]
model:
  formt: onnx
`;

let dir: string;
let uri: string;
let server: ChildProcess;
let conn: MessageConnection;
const published: PublishDiagnosticsParams[] = [];
let waiters: (() => void)[] = [];

function nextDiagnostics(predicate: (p: PublishDiagnosticsParams) => boolean = () => true, timeoutMs = 10_000): Promise<PublishDiagnosticsParams> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching publishDiagnostics; got ${JSON.stringify(published.at(-1))}`)), timeoutMs);
    const check = () => {
      const hit = [...published].reverse().find((p) => p.uri === uri && predicate(p));
      if (!hit) return false;
      clearTimeout(timer);
      resolve(hit);
      return true;
    };
    if (check()) return;
    const w = () => {
      if (check()) waiters = waiters.filter((x) => x !== w);
    };
    waiters.push(w);
  });
}

const codes = (p: PublishDiagnosticsParams) => p.diagnostics.map((d) => d.code).sort();
const pos = (line: number, character: number) => ({ line, character });
const doc = { textDocument: { uri: '' } };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-ls-'));
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'data/activity.parquet'), '');
  writeFileSync(join(dir, 'data/labels.parquet'), '');
  writeFileSync(join(dir, 'src/features.py'), '');
  uri = pathToFileURL(join(dir, 'slipway.yaml')).href;
  doc.textDocument.uri = uri;
  writeFileSync(join(dir, 'slipway.yaml'), TEXT);
  server = spawn(process.execPath, ['out/language-server.js', '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  conn = createMessageConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    published.push(p);
    for (const w of [...waiters]) w();
  });
  conn.listen();
  const init = await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(dir).href,
    capabilities: {},
    // the data files here are empty placeholders: the data check has its own file (language-server-features.test.ts)
    initializationOptions: { debounceMs: 20, dataCheck: false },
  });
  assert.ok((init as { capabilities: { completionProvider?: unknown } }).capabilities.completionProvider);
  await conn.sendNotification('initialized', {});
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: TEXT } });
});

after(async () => {
  try {
    await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
    await conn.sendNotification('exit');
  } catch {
    // the server may be gone already
  }
  conn?.dispose();
  server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

test('publishes diagnostics at the exact ranges on open', async () => {
  const p = await nextDiagnostics();
  assert.deepEqual(codes(p), ['bad-reference', 'file-not-found', 'unknown-key']);
  const by = (code: string) => p.diagnostics.find((d) => d.code === code)!;
  assert.deepEqual(by('bad-reference').range, { start: pos(9, 14), end: pos(9, 21) });
  assert.match(by('bad-reference').message as string, /did you mean 'customer'/);
  assert.deepEqual(by('file-not-found').range, { start: pos(15, 10), end: pos(15, 22) });
  assert.equal(by('file-not-found').severity, 1);
  assert.deepEqual(by('unknown-key').range, { start: pos(22, 2), end: pos(22, 7) });
  assert.equal(by('unknown-key').source, 'slipway');
});

test('completion: keys at depth, enum values, references, view:feature, file paths', async () => {
  const labels = async (line: number, character: number) =>
    ((await conn.sendRequest('textDocument/completion', { ...doc, position: pos(line, character) })) as CompletionList).items.map((i) => i.label);
  // a new key under model (line 22 is "  formt: onnx": complete at its start)
  const modelKeys = await labels(22, 2);
  assert.ok(modelKeys.includes('name') && modelKeys.includes('gates') && modelKeys.includes('format'), modelKeys.join());
  // enum values after `formt:` would be unknown; use a known key's value: entity → entity names
  assert.deepEqual(await labels(9, 14), ['customer']);
  assert.deepEqual(await labels(10, 14), ['activity']);
  const refs = await labels(20, 15);
  assert.ok(refs.includes('customer_activity:avg_basket') && refs.includes('customer_activity:*'), refs.join());
  const files = await labels(15, 14);
  assert.ok(files.includes('features.py'), files.join());
  const top = await labels(1, 0);
  assert.ok(top.includes('deploy') && top.includes('monitoring') && !top.includes('features'), top.join());
});

test('hover shows the key documentation and default, and what a reference names', async () => {
  const h = (await conn.sendRequest('textDocument/hover', { ...doc, position: pos(15, 4) })) as Hover;
  const text = (h.contents as { value: string }).value;
  assert.match(text, /training\.script/);
  assert.match(text, /Training script/);
  const r = (await conn.sendRequest('textDocument/hover', { ...doc, position: pos(20, 20) })) as Hover;
  assert.match((r.contents as { value: string }).value, /\*\*view\*\* `customer_activity` — entity/);
  const p = (await conn.sendRequest('textDocument/hover', { ...doc, position: pos(6, 6) })) as Hover | null;
  assert.ok(p === null || typeof p === 'object');
});

test('definition: view:feature parts to their declarations, paths to files', async () => {
  const def = async (line: number, character: number) => (await conn.sendRequest('textDocument/definition', { ...doc, position: pos(line, character) })) as Location[];
  assert.deepEqual(await def(20, 16), [{ uri, range: { start: pos(8, 4), end: pos(8, 21) } }]);
  assert.deepEqual(await def(20, 36), [{ uri, range: { start: pos(12, 8), end: pos(12, 19) } }]);
  assert.deepEqual(await def(10, 15), [{ uri, range: { start: pos(6, 4), end: pos(6, 12) } }]);
  const file = await def(17, 15);
  assert.equal(file[0]!.uri, pathToFileURL(join(dir, 'data/labels.parquet')).href);
  assert.deepEqual(await def(0, 2), []);
});

test('document symbols outline every section', async () => {
  const symbols = (await conn.sendRequest('textDocument/documentSymbol', doc)) as DocumentSymbol[];
  assert.deepEqual(symbols.map((s) => s.name), ['version', 'name', 'features', 'training', 'model']);
  const views = symbols[2]!.children!.find((s) => s.name === 'views')!;
  assert.deepEqual(views.children!.map((s) => s.name), ['customer_activity']);
  assert.deepEqual(views.children![0]!.selectionRange, { start: pos(8, 4), end: pos(8, 21) });
});

test('code actions: did-you-mean for keys and references, create the missing script', async () => {
  const p = await nextDiagnostics();
  const actions = (await conn.sendRequest('textDocument/codeAction', {
    ...doc,
    range: { start: pos(0, 0), end: pos(23, 0) },
    context: { diagnostics: p.diagnostics },
  })) as CodeAction[];
  const titles = actions.map((a) => a.title);
  assert.ok(titles.includes("Change to 'format'"), titles.join());
  assert.ok(titles.includes("Change to 'customer'"), titles.join());
  const create = actions.find((a) => a.title === 'Create src/train.py from template')!;
  assert.ok(create, titles.join());
  const changes = create.edit!.documentChanges!;
  assert.deepEqual(changes[0], { kind: 'create', uri: pathToFileURL(join(dir, 'src/train.py')).href, options: { ignoreIfExists: true } });
  assert.match((changes[1] as { edits: { newText: string }[] }).edits[0]!.newText, /def main\(\)/);
  const fix = actions.find((a) => a.title === "Change to 'format'")!;
  assert.deepEqual(fix.edit!.changes![uri], [{ range: { start: pos(22, 2), end: pos(22, 7) }, newText: 'format' }]);
});

test('incremental edits re-validate after the debounce', async () => {
  // fix the entity reference and the key, as two incremental changes
  await conn.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 2 },
    contentChanges: [
      { range: { start: pos(9, 14), end: pos(9, 21) }, text: 'customer' },
      { range: { start: pos(22, 2), end: pos(22, 7) }, text: 'format' },
    ],
  });
  const p = await nextDiagnostics((x) => x.version === 2);
  assert.deepEqual(codes(p), ['file-not-found']);
  // enum values and the key's default, on the edited text
  const formats = ((await conn.sendRequest('textDocument/completion', { ...doc, position: pos(22, 10) })) as CompletionList).items.map((i) => i.label);
  assert.deepEqual(formats, ['onnx', 'sklearn', 'pyfunc']);
  const h = (await conn.sendRequest('textDocument/hover', { ...doc, position: pos(22, 4) })) as Hover;
  assert.match((h.contents as { value: string }).value, /Default: `onnx`/);
  // the script appears: a watched-file event re-checks
  writeFileSync(join(dir, 'src/train.py'), 'print(1)\n');
  await conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(join(dir, 'src/train.py')).href, type: 1 }] });
  const q = await nextDiagnostics((x) => x.version === 2 && x.diagnostics.length === 0);
  assert.deepEqual(q.diagnostics, [] as Diagnostic[]);
});

test('a syntax error mid-typing is reported and the server keeps answering', async () => {
  await conn.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 3 },
    contentChanges: [{ range: { start: pos(20, 15), end: pos(20, 15) }, text: '"' }],
  });
  const p = await nextDiagnostics((x) => x.version === 3);
  assert.ok(p.diagnostics.some((d) => d.code === 'yaml-syntax'), JSON.stringify(p.diagnostics));
  const symbols = (await conn.sendRequest('textDocument/documentSymbol', doc)) as DocumentSymbol[];
  assert.ok(symbols.length > 0);
});
