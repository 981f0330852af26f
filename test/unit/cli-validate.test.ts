import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CliIo } from '../../src/cli/io';
import { FeatureDb, literal } from '../../src/core/features/db';
import { loadCli } from '../support/mlflow-cli';

let dir: string;
let runCli: (argv: string[], io: CliIo) => Promise<number>;

const VALID = 'version: 1\nname: demo\ntraining:\n  script: src/train.py\n';
const WARNING = 'version: 1\nname: demo\ntraining:\n  script: src/train.py\nmonitoring:\n  reference: data/ref.parquet\n';
const ERRORS = 'version: 1\nname: Demo\nmodel:\n  formt: onnx\n';
// features over data/activity.parquet (customer_id BIGINT, event_ts TIMESTAMP, sessions BIGINT, plan VARCHAR)
const FEATURES = (sessions: string, plan: string) => `version: 1
name: demo
training:
  script: src/train.py
features:
  entities:
    customer: { join_keys: [customer_id] }
  sources:
    activity: { path: data/activity.parquet, timestamp: event_ts }
  views:
    customer_activity:
      entity: customer
      source: activity
      features:
        sessions: ${sessions}
        plan: ${plan}
`;

before(async () => {
  runCli = await loadCli();
  dir = mkdtempSync(join(tmpdir(), 'slipway-cli-'));
  const projects = { ok: VALID, warn: WARNING, bad: ERRORS, empty: undefined, data: FEATURES('int64', 'string'), mismatch: FEATURES('string', 'string'), mixed: FEATURES('bool', 'int64') };
  for (const [name, text] of Object.entries(projects)) {
    mkdirSync(join(dir, name, 'src'), { recursive: true });
    writeFileSync(join(dir, name, 'src/train.py'), '');
    if (text !== undefined) writeFileSync(join(dir, name, 'slipway.yaml'), text);
  }
  const db = await FeatureDb.open({ threads: 1 });
  try {
    for (const name of ['data', 'mismatch', 'mixed']) {
      mkdirSync(join(dir, name, 'data'));
      const file = literal(join(dir, name, 'data/activity.parquet'));
      await db.run(`COPY (SELECT 1::BIGINT AS customer_id, TIMESTAMP '2026-01-01 00:00:00' AS event_ts, 3::BIGINT AS sessions, 'basic' AS plan) TO ${file} (FORMAT parquet)`);
    }
  } finally {
    db.close();
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[], cwd = dir) {
  let out = '';
  let err = '';
  const io: CliIo = {
    cwd,
    env: {},
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    interactive: false,
    ask: async () => undefined,
  };
  const code = await runCli(['validate', ...args], io);
  return { code, out, err };
}

test('no file argument: the slipway.yaml of the current folder; exit 0 when clean', async () => {
  const r = await run([], join(dir, 'ok'));
  assert.equal(r.code, 0);
  assert.equal(r.out, '');
  assert.equal(r.err, 'slipway.yaml: ok\n');
});

test('text output is file:line:col: severity code message; errors exit 1', async () => {
  const r = await run(['bad/slipway.yaml']);
  assert.equal(r.code, 1);
  const lines = r.out.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^bad\/slipway\.yaml:2:7: error bad-name name 'Demo' is not a DNS-1123 label/);
  assert.equal(lines[1], "bad/slipway.yaml:4:3: error unknown-key unknown key 'formt' in model; did you mean 'format'?");
  assert.equal(r.err, 'bad/slipway.yaml: 2 errors, 0 warnings\n');
});

test('warnings alone exit 0', async () => {
  const r = await run(['warn']);
  assert.equal(r.code, 0);
  assert.match(r.out, /^warn\/slipway\.yaml:6:14: warning file-not-found monitoring\.reference: 'data\/ref\.parquet' does not exist/);
});

test('--format json: 1-based positions for every file', async () => {
  const r = await run(['--format', 'json', 'ok/slipway.yaml', 'bad/slipway.yaml']);
  assert.equal(r.code, 1);
  const problems = JSON.parse(r.out) as Record<string, unknown>[];
  assert.deepEqual(problems[1], {
    file: 'bad/slipway.yaml',
    line: 4,
    column: 3,
    endLine: 4,
    endColumn: 8,
    severity: 'error',
    code: 'unknown-key',
    message: "unknown key 'formt' in model; did you mean 'format'?",
  });
  assert.equal(problems.length, 2);
  assert.equal(r.err, '');
  const clean = await run(['--format=json'], join(dir, 'ok'));
  assert.deepEqual(JSON.parse(clean.out), []);
  assert.equal(clean.code, 0);
});

test('usage and I/O errors exit 2', async () => {
  assert.equal((await run(['--format', 'xml'])).code, 2);
  assert.equal((await run(['--bogus'])).code, 2);
  const missing = await run(['nope.yaml']);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /nope\.yaml: no such file/);
  const none = await run([], join(dir, 'empty'));
  assert.equal(none.code, 2);
  assert.match(none.err, /no slipway\.yaml in/);
  // a missing file among good ones still exits 2, after checking the others
  const mixed = await run(['bad', 'nope.yaml']);
  assert.equal(mixed.code, 2);
  assert.match(mixed.out, /unknown-key/);
});

test('the built CLI exits 0, 1 and 2', () => {
  const cli = resolve('out/cli.js');
  const exec = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, 'validate', ...args], { cwd, encoding: 'utf8' });
  assert.equal(exec([], join(dir, 'ok')).status, 0);
  const bad = exec(['slipway.yaml', '--format', 'json'], join(dir, 'bad'));
  assert.equal(bad.status, 1);
  assert.equal((JSON.parse(bad.stdout) as unknown[]).length, 2);
  assert.equal(exec([], join(dir, 'empty')).status, 2);
  assert.equal(exec(['--format', 'yaml'], dir).status, 2);
});

test('the data is checked by default, with the codes the editor uses; errors exit 1', async () => {
  const clean = await run([], join(dir, 'data'));
  assert.equal(clean.code, 0);
  assert.equal(clean.out, '');
  assert.equal(clean.err, 'slipway.yaml: ok\n');
  const r = await run(['mismatch']);
  assert.equal(r.code, 1);
  assert.equal(r.out, 'mismatch/slipway.yaml:15:19: error type-mismatch customer_activity.sessions: declared string, but the column is BIGINT\n');
  assert.equal(r.err, 'mismatch/slipway.yaml: 1 error, 0 warnings\n');
  // sorted by position with the pipeline's own problems, in JSON too
  const j = await run(['--format', 'json', 'mixed', 'bad']);
  const problems = JSON.parse(j.out) as { file: string; line: number; column: number; code: string; message: string }[];
  assert.deepEqual(problems.map((p) => [p.file, p.line, p.column, p.code]), [
    ['mixed/slipway.yaml', 15, 19, 'type-mismatch'],
    ['mixed/slipway.yaml', 16, 15, 'type-mismatch'],
    ['bad/slipway.yaml', 2, 7, 'bad-name'],
    ['bad/slipway.yaml', 4, 3, 'unknown-key'],
  ]);
  assert.match(problems[0]!.message, /declared bool, but the column is BIGINT \(declare int64 for 0\/1 values\)/);
  assert.equal(j.code, 1);
});

test('--no-data checks the pipeline file alone', async () => {
  const r = await run(['--no-data', 'mismatch/slipway.yaml']);
  assert.equal(r.code, 0);
  assert.equal(r.out, '');
  assert.equal(r.err, 'mismatch/slipway.yaml: ok\n');
});

test('without DuckDB the data cannot be checked: exit 2 and say so; --no-data still works', () => {
  // the bundle alone, where @duckdb/node-api cannot be resolved
  const lonely = mkdtempSync(join(tmpdir(), 'slipway-cli-noduck-'));
  try {
    copyFileSync('out/cli.js', join(lonely, 'cli.js'));
    const exec = (args: string[]) => spawnSync(process.execPath, [join(lonely, 'cli.js'), 'validate', ...args], { cwd: dir, encoding: 'utf8' });
    const r = exec(['mismatch', 'ok']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /cannot check the data files: DuckDB did not load \(.*\); --no-data checks the pipeline files alone/);
    assert.match(r.stderr, /ok\/slipway\.yaml: ok/);
    assert.equal(exec(['--no-data', 'mismatch', 'ok']).status, 0);
    // nothing to read: DuckDB is not needed
    assert.equal(exec(['ok']).status, 0);
  } finally {
    rmSync(lonely, { recursive: true, force: true });
  }
});
