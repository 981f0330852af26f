// The data check of the language server: the real server over JSON-RPC (as language-server.test.ts
// speaks to it) on a project whose Parquet and CSV files DuckDB writes here, then the same file
// through `slipway validate`, and DataChecks alone with a check that waits for the test's word.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type CodeAction,
  type Diagnostic,
  type Hover,
  type MessageConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { FeatureDb, literal } from '../../src/core/features/db';
import type { CheckOptions } from '../../src/core/features/check';
import type { FeatureProblem, FeatureProject } from '../../src/core/features/types';
import { DIAGNOSTIC_CODES, parsePipeline, type Diagnostic as PipelineDiagnostic } from '../../src/core/pipeline/index';
import { DataChecks } from '../../language-server/dataChecks';

const DATA_CODES = ['missing-source', 'unreadable-source', 'unchecked-source', 'missing-column', 'type-mismatch', 'missing-timestamp', 'bad-timestamp', 'missing-join-key'];

const GOOD = `version: 1
name: demo
features:
  entities:
    customer: { join_keys: [customer_id] }
  sources:
    activity: { path: data/activity.parquet, timestamp: event_ts }
    profiles: { path: data/customers.csv, timestamp: signup_ts }
  views:
    customer_activity:
      entity: customer
      source: activity
      features:
        sessions: int64
        basket: float64
        plan: string
    customer_profile:
      entity: customer
      source: profiles
      features:
        country: string
training:
  script: src/train.py
  dataset:
    labels: data/labels.parquet
    label: churned
    timestamp: event_ts
    features: [customer_activity:sessions, customer_profile:country]
`;

// one problem of every kind the data check knows
const ALL = `version: 1
name: demo
features:
  entities:
    customer: { join_keys: [customer_id] }
    store: { join_keys: [store_id] }
  sources:
    activity: { path: data/activity.parquet, timestamp: event_time }
    profiles: { path: data/customers.csv, timestamp: country }
    broken: { path: data/corrupt.parquet, timestamp: ts }
    remote: { path: s3://bucket/events.parquet, timestamp: ts }
    empty: { path: data/empty, timestamp: ts }
    gone: { path: data/gone.parquet, timestamp: ts }
  views:
    customer_activity:
      entity: customer
      source: activity
      features:
        sessions: string
        sessionz: int64
    store_activity:
      entity: store
      source: activity
      features:
        basket: float64
`;

let dir: string;
let server: ChildProcess;
let conn: MessageConnection;
const published: PublishDiagnosticsParams[] = [];
const logged: string[] = [];
let waiters: (() => void)[] = [];

/** waits for a publish for `uri` after index `from` matching `predicate` */
function publishFor(uri: string, predicate: (p: PublishDiagnosticsParams) => boolean, from = 0, timeoutMs = 15_000): Promise<PublishDiagnosticsParams> {
  return new Promise((resolve, reject) => {
    const find = () => published.slice(from).find((p) => p.uri === uri && predicate(p));
    const timer = setTimeout(() => {
      waiters = waiters.filter((x) => x !== w);
      reject(new Error(`no matching publishDiagnostics for ${uri}; got ${JSON.stringify(published.slice(from).filter((p) => p.uri === uri))}`));
    }, timeoutMs);
    const w = () => {
      const hit = find();
      if (!hit) return;
      clearTimeout(timer);
      waiters = waiters.filter((x) => x !== w);
      resolve(hit);
    };
    waiters.push(w);
    w();
  });
}

/** the second publish of a version (after index `from`): the pipeline's goes out at once, then the data check's */
function checked(uri: string, version: number, from = 0): Promise<PublishDiagnosticsParams> {
  return publishFor(uri, (p) => published.slice(from).filter((x) => x.uri === uri && x.version === version)[1] === p, from);
}

const uriOf = (name: string) => pathToFileURL(join(dir, `${name}.slipway.yaml`)).href;
const codes = (p: PublishDiagnosticsParams) => p.diagnostics.map((d) => String(d.code)).sort();
const dataOnly = (p: PublishDiagnosticsParams) => p.diagnostics.filter((d) => DATA_CODES.includes(String(d.code)));
const by = (p: PublishDiagnosticsParams, code: string): Diagnostic & { message: string } => {
  const d = p.diagnostics.find((x) => x.code === code);
  assert.ok(d && typeof d.message === 'string', `a ${code} diagnostic among ${JSON.stringify(p.diagnostics)}`);
  return d as Diagnostic & { message: string };
};

/** the range of the first `needle` in `text` after the first `after` */
function rangeIn(text: string, needle: string, after = '') {
  const at = text.indexOf(needle, text.indexOf(after) + after.length);
  assert.ok(text.includes(after) && at >= 0, `${after}…${needle} in the text`);
  const doc = TextDocument.create('x', 'yaml', 1, text);
  return { start: doc.positionAt(at), end: doc.positionAt(at + needle.length) };
}

async function open(name: string, text: string): Promise<string> {
  const uri = uriOf(name);
  writeFileSync(join(dir, `${name}.slipway.yaml`), text);
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
  return uri;
}

const change = (uri: string, version: number, text: string) =>
  conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });

async function writeData(db: FeatureDb, path: string, select: string, format = 'parquet') {
  // written beside and renamed over, as tools replace data files
  const tmp = `${path}.tmp`;
  await db.run(`COPY (${select}) TO ${literal(tmp)} (FORMAT ${format}${format === 'csv' ? ', HEADER' : ''})`);
  renameSync(tmp, path);
}

function startServer(module: string, options: Record<string, unknown>) {
  const child = spawn(process.execPath, [module, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const c = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  c.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    published.push(p);
    for (const w of [...waiters]) w();
  });
  c.onNotification('window/logMessage', (p: { message: string }) => void logged.push(p.message));
  c.listen();
  return {
    child,
    conn: c,
    async init() {
      await c.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(dir).href, capabilities: {}, initializationOptions: options });
      await c.sendNotification('initialized', {});
    },
  };
}

async function stopServer(c: MessageConnection | undefined, child: ChildProcess | undefined) {
  try {
    await Promise.race([c?.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 3000))]);
    await c?.sendNotification('exit');
  } catch {
    // gone already
  }
  c?.dispose();
  child?.kill();
}

const ACTIVITY = `SELECT * FROM (VALUES (1::BIGINT, TIMESTAMP '2026-01-01 00:00:00', 3::BIGINT, 1.5::DOUBLE, 'basic'), (2, TIMESTAMP '2026-01-02 00:00:00', 5, 2.5, 'plus')) t(customer_id, event_ts, sessions, basket, plan)`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-ls-features-'));
  mkdirSync(join(dir, 'data/empty'), { recursive: true });
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src/train.py'), 'print(1)\n');
  writeFileSync(join(dir, 'data/empty/README.txt'), 'no data here\n');
  writeFileSync(join(dir, 'data/corrupt.parquet'), 'PAR1 this is not a Parquet file PAR1');
  const db = await FeatureDb.open({ threads: 1 });
  try {
    await writeData(db, join(dir, 'data/activity.parquet'), ACTIVITY);
    await writeData(db, join(dir, 'data/swap.parquet'), ACTIVITY);
    await writeData(db, join(dir, 'data/customers.csv'), `SELECT * FROM (VALUES (1::BIGINT, TIMESTAMP '2025-05-01 10:00:00', 'DE'), (2, TIMESTAMP '2025-06-01 11:00:00', 'FR')) t(customer_id, signup_ts, country)`, 'csv');
    await writeData(db, join(dir, 'data/labels.parquet'), `SELECT * FROM (VALUES (1::BIGINT, TIMESTAMP '2026-01-03 00:00:00', true), (2, TIMESTAMP '2026-01-03 00:00:00', false)) t(customer_id, event_ts, churned)`);
  } finally {
    db.close();
  }
  const s = startServer('out/language-server.js', { debounceMs: 20, dataDebounceMs: 200 });
  server = s.child;
  conn = s.conn;
  await s.init();
});

after(async () => {
  await stopServer(conn, server);
  rmSync(dir, { recursive: true, force: true });
});

test('a project whose data matches its definitions gets no diagnostics, before and after the data check', async () => {
  const uri = await open('good', GOOD);
  const first = await publishFor(uri, (p) => p.version === 1);
  assert.deepEqual(first.diagnostics, []);
  const data = await checked(uri, 1);
  assert.deepEqual(data.diagnostics, []);
});

test('every data problem at its range, with its code, severity and source', async () => {
  const uri = await open('all', ALL);
  const first = await publishFor(uri, (p) => p.version === 1);
  assert.deepEqual(dataOnly(first), [], 'the pipeline diagnostics go out first, without waiting for the data');
  const p = await checked(uri, 1);
  assert.deepEqual(codes(p), ['bad-timestamp', 'file-not-found', 'missing-column', 'missing-join-key', 'missing-source', 'missing-timestamp', 'type-mismatch', 'unchecked-source', 'unreadable-source']);
  const at = (code: string) => by(p, code).range;
  assert.deepEqual(at('type-mismatch'), rangeIn(ALL, 'string'));
  assert.match(by(p, 'type-mismatch').message, /customer_activity\.sessions: declared string, but the column is BIGINT/);
  assert.equal(by(p, 'type-mismatch').severity, 1);
  assert.equal(by(p, 'type-mismatch').source, 'slipway');
  // a missing column is marked at the feature's name, not at its type
  assert.deepEqual(at('missing-column'), rangeIn(ALL, 'sessionz'));
  assert.match(by(p, 'missing-column').message, /no column sessionz \(columns: customer_id, event_ts, sessions, basket, plan\)/);
  assert.deepEqual(at('missing-timestamp'), rangeIn(ALL, 'event_time'));
  assert.deepEqual(at('bad-timestamp'), rangeIn(ALL, 'country'));
  assert.match(by(p, 'bad-timestamp').message, /VARCHAR, not a timestamp/);
  assert.deepEqual(at('unreadable-source'), rangeIn(ALL, 'data/corrupt.parquet'));
  assert.equal(by(p, 'unreadable-source').severity, 1);
  assert.deepEqual(at('unchecked-source'), rangeIn(ALL, 's3://bucket/events.parquet'));
  assert.equal(by(p, 'unchecked-source').severity, 3);
  assert.deepEqual(at('missing-source'), rangeIn(ALL, 'data/empty'));
  assert.equal(by(p, 'missing-source').severity, 2);
  // a path matching nothing is file-not-found only, never twice
  assert.deepEqual(at('file-not-found'), rangeIn(ALL, 'data/gone.parquet'));
  assert.deepEqual(at('missing-join-key'), rangeIn(ALL, 'store', 'store_activity:\n      entity: '));
  assert.match(by(p, 'missing-join-key').message, /join key store_id of entity store/);
  // every data code of DIAGNOSTIC_CODES is produced here
  assert.deepEqual(DATA_CODES.filter((c) => !(c in DIAGNOSTIC_CODES)), []);
  assert.deepEqual(DATA_CODES.filter((c) => !codes(p).includes(c)), []);
  // the corrupt file did not take the server down
  const h = (await conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: rangeIn(ALL, 'sessions').start })) as Hover | null;
  assert.ok(h === null || typeof h === 'object');
});

test('a type mismatch: the quick fix declares the column\'s type, and the edit clears the diagnostic', async () => {
  const text = GOOD.replace('sessions: int64', 'sessions: string');
  const uri = await open('mismatch', text);
  const p = await checked(uri, 1);
  assert.deepEqual(codes(p), ['type-mismatch']);
  const d = by(p, 'type-mismatch');
  assert.deepEqual(d.range, rangeIn(text, 'string'));
  const actions = (await conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } })) as CodeAction[];
  const fix = actions.find((a) => a.title === "Change to 'int64'");
  assert.ok(fix, actions.map((a) => a.title).join());
  assert.deepEqual(fix.edit!.changes![uri], [{ range: d.range, newText: 'int64' }]);
  // the edit: the pipeline publish of version 2 already drops it, and the data check finds nothing
  const from = published.length;
  await change(uri, 2, GOOD);
  const fixed = await checked(uri, 2, from);
  assert.deepEqual(fixed.diagnostics, []);
  assert.ok(published.slice(from).every((x) => x.uri !== uri || dataOnly(x).length === 0));
});

test('an edit elsewhere keeps the data diagnostics, moved with their keys, without waiting', async () => {
  const text = GOOD.replace('sessions: int64', 'sessions: bool');
  const uri = await open('carry', text);
  await checked(uri, 1);
  const from = published.length;
  const moved = `# a comment line\n${text}`;
  await change(uri, 2, moved);
  const first = await publishFor(uri, (p) => p.version === 2, from);
  assert.deepEqual(codes(first), ['type-mismatch']);
  assert.deepEqual(by(first, 'type-mismatch').range, rangeIn(moved, 'bool'));
  assert.match(by(first, 'type-mismatch').message, /declare int64 for 0\/1 values/);
  const second = await checked(uri, 2, from);
  assert.deepEqual(second.diagnostics, first.diagnostics);
});

test('rapid edits publish only the last version\'s data results', async () => {
  const uri = await open('rapid', GOOD);
  await checked(uri, 1);
  const from = published.length;
  const types = ['string', 'bool', 'timestamp', 'string', 'bool'];
  // each edit after the pipeline debounce (20 ms) and well within the data debounce (200 ms)
  for (let i = 0; i < types.length; i++) {
    await change(uri, i + 2, GOOD.replace('sessions: int64', `sessions: ${types[i]}`));
    await new Promise((r) => setTimeout(r, 60));
  }
  const last = types.length + 1;
  const final = await checked(uri, last, from);
  assert.deepEqual(codes(final), ['type-mismatch']);
  assert.match(by(final, 'type-mismatch').message, /declared bool, but the column is BIGINT/);
  const mine = published.slice(from).filter((p) => p.uri === uri);
  assert.ok(mine.some((p) => p.version! < last), 'the pipeline diagnostics of earlier versions went out');
  const withData = mine.filter((p) => dataOnly(p).length > 0);
  assert.deepEqual(withData.map((p) => p.version), [last], JSON.stringify(mine));
});

test('replacing a data file with other column types updates the diagnostics', async () => {
  const text = GOOD.replaceAll('data/activity.parquet', 'data/swap.parquet');
  const uri = await open('swap', text);
  assert.deepEqual((await checked(uri, 1)).diagnostics, []);
  const db = await FeatureDb.open({ threads: 1 });
  try {
    await writeData(db, join(dir, 'data/swap.parquet'), `SELECT customer_id, event_ts, CAST(sessions AS VARCHAR) AS sessions, basket, plan FROM (${ACTIVITY})`);
  } finally {
    db.close();
  }
  const from = published.length;
  await conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(join(dir, 'data/swap.parquet')).href, type: 2 }] });
  const p = await publishFor(uri, (x) => x.diagnostics.some((d) => d.code === 'type-mismatch'), from);
  assert.equal(p.version, 1);
  assert.match(by(p, 'type-mismatch').message, /declared int64, but the column is VARCHAR/);
  assert.deepEqual(by(p, 'type-mismatch').range, rangeIn(text, 'int64'));
});

test('no data check while features has errors, nor without a features section', async () => {
  // `strin` is a pipeline error in features; `basket: int64` would be a data error
  const text = GOOD.replace('sessions: int64', 'sessions: strin').replace('basket: float64', 'basket: int64');
  const uri = await open('broken', text);
  const p = await publishFor(uri, (x) => x.version === 1);
  assert.deepEqual(codes(p), ['bad-enum']);
  const plain = await open('plain', 'version: 1\nname: demo\ntraining:\n  script: src/train.py\n');
  await publishFor(plain, (x) => x.version === 1);
  // the data check would have come 200 ms after these
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(published.filter((x) => x.uri === uri).length, 1);
  assert.equal(published.filter((x) => x.uri === plain).length, 1);
});

test('slipway/setDataCheck turns the data check off and on (the workspace trust)', async () => {
  const text = GOOD.replace('plan: string', 'plan: int64');
  const uri = await open('trust', text);
  assert.deepEqual(codes(await checked(uri, 1)), ['type-mismatch']);
  let from = published.length;
  await conn.sendNotification('slipway/setDataCheck', { enabled: false });
  const off = await publishFor(uri, () => true, from);
  assert.deepEqual(off.diagnostics, []);
  await new Promise((r) => setTimeout(r, 600));
  assert.ok(published.slice(from).every((x) => x.uri !== uri || x.diagnostics.length === 0));
  from = published.length;
  await conn.sendNotification('slipway/setDataCheck', { enabled: true });
  const on = await publishFor(uri, (x) => x.diagnostics.length > 0, from);
  assert.deepEqual(codes(on), ['type-mismatch']);
});

test('slipway validate reports the same data problems at the same places', async () => {
  const uri = await open('agree', ALL);
  const editor = await checked(uri, 1);
  const r = spawnSync(process.execPath, [resolve('out/cli.js'), 'validate', '--format', 'json', 'agree.slipway.yaml'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  const cli = (JSON.parse(r.stdout) as { line: number; column: number; endLine: number; endColumn: number; code: string; severity: string }[]).map(
    (x) => `${x.code} ${x.line - 1}:${x.column - 1}-${x.endLine - 1}:${x.endColumn - 1} ${x.severity}`,
  );
  const severity = ['', 'error', 'warning', 'information'];
  const lsp = editor.diagnostics.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} ${severity[d.severity!]}`);
  assert.equal(cli.length, 9);
  assert.deepEqual(cli.sort(), lsp.sort());
});

test('when DuckDB cannot be loaded the server says so once, publishes the pipeline diagnostics and keeps running', async () => {
  // the bundle alone, where @duckdb/node-api cannot be resolved
  const lonely = mkdtempSync(join(tmpdir(), 'slipway-ls-noduck-'));
  copyFileSync('out/language-server.js', join(lonely, 'language-server.js'));
  const before = logged.length;
  const s = startServer(join(lonely, 'language-server.js'), { debounceMs: 20, dataDebounceMs: 20 });
  try {
    await s.init();
    const text = GOOD.replace('sessions: int64', 'sessions: string');
    const uri = pathToFileURL(join(dir, 'noduck.slipway.yaml')).href;
    await s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
    await s.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: text.replace('name: demo', 'name: demo2') }] });
    const p = await publishFor(uri, (x) => x.version === 2);
    assert.deepEqual(p.diagnostics, [] as Diagnostic[]);
    await new Promise((r) => setTimeout(r, 800));
    const said = logged.slice(before).filter((m) => /DuckDB could not be loaded/.test(m));
    assert.equal(said.length, 1, logged.slice(before).join('\n'));
    assert.ok(published.filter((x) => x.uri === uri).every((x) => dataOnly(x).length === 0));
    const symbols = (await s.conn.sendRequest('textDocument/documentSymbol', { textDocument: { uri } })) as unknown[];
    assert.ok(symbols.length > 0);
  } finally {
    await stopServer(s.conn, s.child);
    rmSync(lonely, { recursive: true, force: true });
  }
});

// DataChecks alone: the check waits until the test lets it finish, so a newer version arrives mid-check for sure

function fakeHost(texts: Map<string, { version: number; text: string }>) {
  const sent: { uri: string; version: number; codes: string[] }[] = [];
  const logs: string[] = [];
  const host = {
    current(uri: string) {
      const t = texts.get(uri);
      if (!t) return undefined;
      const parsed = parsePipeline(t.text);
      return { version: t.version, parsed, diagnostics: parsed.diagnostics as PipelineDiagnostic[] };
    },
    publish: (uri: string, version: number, ds: readonly PipelineDiagnostic[]) => void sent.push({ uri, version, codes: ds.map((d) => d.code) }),
    log: (m: string) => void logs.push(m),
  };
  return { host, sent, logs };
}

const mismatch = (declared: string): FeatureProblem => ({
  code: 'type-mismatch',
  severity: 'error',
  message: `declared ${declared}`,
  path: ['features', 'views', 'customer_activity', 'features', 'sessions'],
  actual: 'BIGINT',
});

test('DataChecks: a check overtaken by a newer version is aborted and never published', async () => {
  const uri = pathToFileURL(join(tmpdir(), 'p', 'slipway.yaml')).href;
  const texts = new Map([[uri, { version: 1, text: GOOD.replace('sessions: int64', 'sessions: string') }]]);
  const { host, sent } = fakeHost(texts);
  const calls: { version: string; signal: AbortSignal; finish: () => void }[] = [];
  const check = (project: FeatureProject, options: CheckOptions) =>
    new Promise<FeatureProblem[]>((resolve) => {
      const declared = project.pipeline.features.views.customer_activity!.features.sessions!;
      // finishes even when aborted (as a check in DuckDB may): its result must still stay out
      calls.push({ version: declared, signal: options.signal!, finish: () => resolve([mismatch(declared)]) });
    });
  const checks = new DataChecks(host, { delayMs: 0, check, openDb: async () => ({ close() {} }) as unknown as FeatureDb });
  checks.schedule(uri, 1);
  while (calls.length < 1) await new Promise((r) => setTimeout(r, 5));
  // version 2 arrives while version 1 is being checked
  texts.set(uri, { version: 2, text: GOOD.replace('sessions: int64', 'sessions: bool') });
  checks.cancel(uri);
  assert.equal(calls[0]!.signal.aborted, true);
  checks.schedule(uri, 2);
  calls[0]!.finish();
  while (calls.length < 2) await new Promise((r) => setTimeout(r, 5));
  assert.equal(calls[1]!.version, 'bool');
  calls[1]!.finish();
  for (let i = 0; i < 100 && sent.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  await checks.dispose();
  assert.deepEqual(sent, [{ uri, version: 2, codes: ['type-mismatch'] }]);
  assert.equal(calls[1]!.signal.aborted, false);
});

test('DataChecks: DuckDB failing to load is logged once; nothing is published', async () => {
  const uri = pathToFileURL(join(tmpdir(), 'q', 'slipway.yaml')).href;
  const texts = new Map([[uri, { version: 1, text: GOOD }]]);
  const { host, sent, logs } = fakeHost(texts);
  let opens = 0;
  let checks = 0;
  const dc = new DataChecks(host, {
    delayMs: 0,
    check: async () => {
      checks++;
      return [];
    },
    openDb: async () => {
      opens++;
      throw new Error('Cannot find module @duckdb/node-bindings-linux-x64');
    },
  });
  for (let v = 1; v <= 3; v++) {
    texts.set(uri, { version: v, text: GOOD });
    dc.schedule(uri, v);
    await new Promise((r) => setTimeout(r, 30));
  }
  await dc.dispose();
  assert.equal(opens, 1);
  assert.equal(checks, 0);
  assert.deepEqual(sent, []);
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, /DuckDB could not be loaded.*node-bindings/);
});
